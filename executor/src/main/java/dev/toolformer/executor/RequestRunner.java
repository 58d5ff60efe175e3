package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * Turns one request into its one final result: validates it ({@link RequestValidator}: REJECTED when the client
 * got it wrong),
 * waits for its provider's rate limit (UNAVAILABLE "Throttled" when the wait would pass the deadline),
 * asks its tool+provider breaker (UNAVAILABLE "CircuitOpen" when open),
 * runs the tool under the request's deadline (TIMEOUT, with the tool interrupted: on the request's own thread
 * for a tool that declares itself {@link Tool#interruptible() interruptible}, else on a virtual thread of its own
 * that the request stops waiting for at the deadline), retries retriable failures with exponential backoff and jitter, and prices the
 * token usage. The deadline is {@code timeout_ms} after execution starts and covers every attempt,
 * rate-limit waits and backoffs included. A valid request whose {@code submitted_at + timeout_ms} (plus
 * {@link #SUBMISSION_CLOCK_SKEW} for the agent's clock) has already passed when it would start is answered TIMEOUT
 * ("ExpiredBeforeStart") without running: its caller has given up on it, whether it waited in a backlog or is
 * being read again from a restored cluster, and running it would only spend a provider call.
 */
final class RequestRunner {
    /** Error type of an UNAVAILABLE result refused by an open (or half-open, probing) breaker. */
    static final String CIRCUIT_OPEN = "CircuitOpen";
    /** Error type of an UNAVAILABLE result whose rate-limit wait would pass its deadline. */
    static final String THROTTLED = "Throttled";
    /** Error type of a TIMEOUT result whose deadline from submission passed before it started. */
    static final String EXPIRED_BEFORE_START = "ExpiredBeforeStart";
    /** How far an agent's clock may run behind the executor's before its requests read as expired. */
    static final Duration SUBMISSION_CLOCK_SKEW = Duration.ofSeconds(5);

    /**
     * The result, and whether it gave up on a retriable failure (its record then also goes to the
     * dead-letter topic as RETRIES_EXHAUSTED).
     */
    record Run(ToolResult result, boolean retriesExhausted) {
    }

    private sealed interface Outcome {
        record Success(ToolOutput output) implements Outcome {
        }

        record Failure(ToolStatus status, ToolError error) implements Outcome {
        }

        /** The attempt did not run: cancelled, rate limit past the deadline, or breaker open. */
        record Refused(ToolStatus status, ToolError error) implements Outcome {
        }
    }

    private final ToolRegistry tools;
    private final Pricing pricing;
    private final ExecutorConfig config;
    private final ExecutorService attempts;
    private final Clock clock;
    private final Resilience resilience;
    private final ExecutorMetrics metrics;
    private final NameLimits names;
    private final RequestValidator validator;

    RequestRunner(ToolRegistry tools, Pricing pricing, ExecutorConfig config, ExecutorService attempts, Clock clock,
                  Resilience resilience, ExecutorMetrics metrics) {
        this.tools = tools;
        this.pricing = pricing;
        this.config = config;
        this.attempts = attempts;
        this.clock = clock;
        this.resilience = resilience;
        this.names = new NameLimits(tools, pricing, config, metrics);
        this.validator = new RequestValidator(tools, config);
        this.metrics = metrics;
    }

    /** Runs {@code request} on the calling thread; {@code execution} may cancel it meanwhile. */
    Run run(ToolRequest request, Execution execution) {
        execution.runOn(Thread.currentThread());
        Instant started = clock.instant();
        ToolResult.Builder result = ToolResult.newBuilder()
                .setRequestId(request.getRequestId())
                .setCorrelationId(request.getCorrelationId())
                .setTool(names.tool(request.getTool()))
                .setSpeculative(request.getSpeculative())
                .setProvider(names.provider(request.getProvider()))
                .setModel(names.model(request.getModel()))
                .setSubmittedAt(request.getSubmittedAt())
                .setStartedAt(started)
                .setExecutorId(config.executorId())
                .setAttempts(0);
        RequestValidator.Validation validation = validator.check(request);
        if (validation.rejection() != null) {
            RequestValidator.Rejection rejection = validation.rejection();
            return done(result, ToolStatus.REJECTED, error(rejection.type(), rejection.message(), false));
        }
        Instant submittedDeadline = request.getSubmittedAt().plusMillis(request.getTimeoutMs());
        if (started.isAfter(submittedDeadline.plus(SUBMISSION_CLOCK_SKEW))) {
            return done(result, ToolStatus.TIMEOUT, error(EXPIRED_BEFORE_START, "submitted at "
                    + request.getSubmittedAt() + " with timeout_ms " + request.getTimeoutMs() + ": its deadline passed "
                    + Duration.between(submittedDeadline, started).toMillis() + " ms before it could start; not run",
                    false));
        }
        Tool tool = tools.find(request.getTool()).orElseThrow();
        ObjectNode arguments = validation.arguments();
        Instant deadline = started.plusMillis(request.getTimeoutMs());
        int maxAttempts = request.getMaxAttempts() > 0 ? request.getMaxAttempts() : config.maxAttempts();
        Outcome.Failure last = null;
        for (int attempt = 1; ; attempt++) {
            ToolCall call = new ToolCall(request.getRequestId(), request.getTool(), arguments,
                    request.getProvider(), request.getModel(), request.getSpeculative(), attempt, deadline);
            Outcome outcome = guarded(tool, call, execution, result.getProvider());
            if (outcome instanceof Outcome.Refused(ToolStatus status, ToolError error)) {
                // A breaker or rate limit that stops the retries leaves the last real failure standing.
                boolean unservedAfterFailure = last != null && status == ToolStatus.UNAVAILABLE;
                return unservedAfterFailure ? done(result, last.status(), last.error()) : done(result, status, error);
            }
            result.setAttempts(attempt);
            if (outcome instanceof Outcome.Success(ToolOutput out)) {
                result.setOutputJson(out.outputJson())
                        .setInputTokens(out.inputTokens())
                        .setOutputTokens(out.outputTokens())
                        .setCostUsd(pricing.costUsd(result.getProvider(), result.getModel(),
                                out.inputTokens(), out.outputTokens()));
                return done(result, ToolStatus.SUCCESS, null);
            }
            last = (Outcome.Failure) outcome;
            boolean retriable = last.status() == ToolStatus.ERROR && last.error().getRetriable();
            if (!retriable) {
                return done(result, last.status(), last.error());
            }
            if (attempt >= maxAttempts || !sleepBeforeRetry(attempt, deadline)) {
                return new Run(finish(result, last.status(), last.error()), true);
            }
            if (execution.isStopped()) {
                return done(result, ToolStatus.CANCELLED, cancelled(execution));
            }
            metrics.retry(request.getTool(), result.getProvider());
        }
    }

    /** One attempt behind the rate limit and the breaker. */
    /** One attempt through the rate limit and the breaker of {@code provider} (the bounded name, see {@link NameLimits}). */
    private Outcome guarded(Tool tool, ToolCall call, Execution execution, String provider) {
        if (execution.isStopped()) {
            return new Outcome.Refused(ToolStatus.CANCELLED, cancelled(execution));
        }
        try {
            if (!resilience.awaitPermit(call.provider(), call.deadline())) {
                return new Outcome.Refused(ToolStatus.UNAVAILABLE, error(THROTTLED, "the rate limit of provider '"
                        + call.provider() + "' would delay attempt " + call.attempt() + " past its deadline", true));
            }
        } catch (InterruptedException e) {
            return new Outcome.Refused(ToolStatus.CANCELLED, cancelled(execution));
        }
        CircuitBreaker breaker = resilience.breaker(call.tool(), provider);
        if (!breaker.tryAcquirePermission()) {
            return new Outcome.Refused(ToolStatus.UNAVAILABLE, error(CIRCUIT_OPEN,
                    "circuit breaker of tool '" + call.tool() + "' with provider '" + call.provider()
                            + "' is " + breaker.getState().name().toLowerCase(Locale.ROOT), true));
        }
        long start = System.nanoTime();
        metrics.toolStarted(call.tool());
        Outcome outcome;
        try {
            outcome = attempt(tool, call, execution);
        } finally {
            metrics.toolFinished(call.tool());
        }
        long took = System.nanoTime() - start;
        switch (outcome) {
            case Outcome.Success s -> breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            case Outcome.Failure f when f.status() == ToolStatus.ERROR || f.status() == ToolStatus.TIMEOUT ->
                    breaker.onError(took, TimeUnit.NANOSECONDS, new ToolFailure(f.error().getType()));
            default -> breaker.releasePermission();
        }
        return outcome;
    }

    private Outcome attempt(Tool tool, ToolCall call, Execution execution) {
        long remainingNanos = Duration.between(clock.instant(), call.deadline()).toNanos();
        if (remainingNanos <= 0) {
            return timeout(call);
        }
        if (tool.interruptible()) {
            return attemptOnThisThread(tool, call, execution, remainingNanos);
        }
        Future<ToolOutput> future = attempts.submit(() -> tool.execute(call));
        try {
            ToolOutput output = future.get(remainingNanos, TimeUnit.NANOSECONDS);
            return output == null ? nullOutput() : new Outcome.Success(output);
        } catch (TimeoutException e) {
            future.cancel(true);
            return timeout(call);
        } catch (InterruptedException | CancellationException e) {
            future.cancel(true);
            return new Outcome.Failure(ToolStatus.CANCELLED, cancelled(execution));
        } catch (ExecutionException e) {
            return failed(e.getCause(), call);
        }
    }

    /**
     * The attempt of an {@link Tool#interruptible() interruptible} tool, on the request's own thread: the deadline
     * interrupts it (one thread, one stack per request in flight, where a second thread per attempt doubled both).
     */
    private Outcome attemptOnThisThread(Tool tool, ToolCall call, Execution execution, long remainingNanos) {
        execution.attemptStarted();
        ScheduledFuture<?> alarm = Deadlines.at(remainingNanos, execution::expire);
        ToolOutput output = null;
        Throwable failure = null;
        try {
            output = tool.execute(call);
        } catch (Throwable e) { // as a FutureTask would: whatever the tool throws is the attempt's failure
            failure = e;
        } finally {
            alarm.cancel(false);
        }
        boolean expired = execution.attemptEnded();
        if (execution.isStopped()) {
            return new Outcome.Failure(ToolStatus.CANCELLED, cancelled(execution));
        }
        if (expired) {
            return timeout(call);
        }
        if (failure != null) {
            return failed(failure, call);
        }
        return output == null ? nullOutput() : new Outcome.Success(output);
    }

    private static Outcome.Failure nullOutput() {
        return new Outcome.Failure(ToolStatus.ERROR, error("NullOutput", "tool returned no output", false));
    }

    /** What the exception a tool threw makes of its attempt. */
    private static Outcome.Failure failed(Throwable cause, ToolCall call) {
        return switch (cause) {
            case InvalidArgumentsException invalid ->
                    new Outcome.Failure(ToolStatus.REJECTED, error("InvalidArguments", invalid.getMessage(), false));
            case RetriableToolException retriable ->
                    new Outcome.Failure(ToolStatus.ERROR, error(typeName(retriable), retriable.getMessage(), true));
            case InterruptedException interrupted -> timeout(call);
            default -> new Outcome.Failure(ToolStatus.ERROR, error(typeName(cause), String.valueOf(cause.getMessage()),
                    false));
        };
    }

    private static Outcome.Failure timeout(ToolCall call) {
        return new Outcome.Failure(ToolStatus.TIMEOUT, error("Timeout",
                "deadline passed during attempt " + call.attempt() + " (deadline " + call.deadline() + ")", true));
    }

    private static ToolError cancelled(Execution execution) {
        return error("Cancelled", execution.isStopped() ? execution.cancelReason() : "executor shutting down", false);
    }

    /** Sleeps the backoff before the next attempt; false when the deadline would pass first or the sleep was interrupted. */
    private boolean sleepBeforeRetry(int attempt, Instant deadline) {
        long base = config.retryBackoff().toMillis() << Math.min(attempt - 1, 20);
        long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        if (clock.instant().plusMillis(delay).isAfter(deadline)) {
            return false;
        }
        try {
            Thread.sleep(delay);
            return true;
        } catch (InterruptedException e) {
            return true;
        }
    }

    private Run done(ToolResult.Builder result, ToolStatus status, ToolError error) {
        return new Run(finish(result, status, error), false);
    }

    private ToolResult finish(ToolResult.Builder result, ToolStatus status, ToolError error) {
        return result.setStatus(status).setError(error).setFinishedAt(clock.instant()).build();
    }

    static ToolError error(String type, String message, boolean retriable) {
        return ToolError.newBuilder().setType(type).setMessage(message).setRetriable(retriable).build();
    }

    private static String typeName(Throwable t) {
        return t.getClass().getSimpleName();
    }

    /** What the breaker records for a failed attempt: the error type, without the message (which may hold data). */
    private static final class ToolFailure extends Exception {
        private static final long serialVersionUID = 1L;

        ToolFailure(String type) {
            super(type, null, false, false);
        }
    }
}
