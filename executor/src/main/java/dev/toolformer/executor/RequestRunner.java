package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.opentelemetry.context.Context;

/**
 * Turns one request into its one final result: validates it ({@link RequestValidator}: REJECTED when the client
 * got it wrong),
 * waits for its provider's rate limit (UNAVAILABLE "Throttled" when the wait would pass the deadline),
 * asks its tool+provider breaker (UNAVAILABLE "CircuitOpen" when open),
 * runs the tool under the request's deadline (TIMEOUT: an {@link AsyncTool}'s stage is cancelled, which held no
 * thread while it waited; a tool that declares itself {@link Tool#interruptible() interruptible} runs on the request's
 * own thread and is interrupted; any other runs on a virtual thread of its own that the request stops waiting for),
 * retries retriable failures with exponential backoff and jitter, and prices the token usage. The deadline is
 * {@code timeout_ms} after execution starts and covers every attempt, rate-limit waits and backoffs included. A valid request whose {@code submitted_at + timeout_ms} (plus
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
        record Refused(ToolStatus status, ToolError error) implements Outcome, Admission {
        }
    }

    /** Whether an attempt may run: {@link Outcome.Refused}, or {@link Admitted}. */
    private sealed interface Admission permits Outcome.Refused, Admitted {
    }

    /** The attempt may run, holding {@code breaker}'s permission (its outcome must be recorded on it). */
    private record Admitted(CircuitBreaker breaker) implements Admission {
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

    /**
     * Runs {@code request} to its end on the calling thread, which waits meanwhile (also for an {@link AsyncTool},
     * whose continuations run on the executor's threads); {@code execution} may cancel it meanwhile.
     */
    Run run(ToolRequest request, Execution execution) {
        CompletableFuture<Run> run = new CompletableFuture<>();
        start(request, execution, (done, bug) -> {
            if (bug == null) {
                run.complete(done);
            } else {
                run.completeExceptionally(bug);
            }
        });
        return run.join();
    }

    /**
     * Starts {@code request} on the calling thread; {@code then} hears once of its run, or of the bug (an unchecked
     * exception or error of ours) that stopped it. It runs to its end here, unless its tool is an {@link AsyncTool}:
     * while such an attempt (or its backoff) waits, no thread is held, and the request goes on, to its next attempt or
     * to {@code then}, on the thread that completed the attempt when it is virtual, else on one of {@code workers}.
     * {@code execution} may cancel or abandon it meanwhile. {@code then} must not throw.
     */
    void start(ToolRequest request, Execution execution, BiConsumer<Run, Throwable> then) {
        new Call(request, execution, then).begin();
    }

    /** One request's way through its attempts, from whichever thread carries it on. */
    private final class Call {
        private final ToolRequest request;
        private final Execution execution;
        private final BiConsumer<Run, Throwable> then;
        private final AtomicBoolean ended = new AtomicBoolean();
        /** Set as the request starts; the result is built only at its end (a waiting request holds no builder). */
        private Instant started;
        private String provider;
        private ToolOutput output;
        private Tool tool;
        private ObjectNode arguments;
        private Instant deadline;
        private int maxAttempts;
        private int attempt;
        /** Attempts that ran (a refused one does not count). */
        private int ran;
        private Outcome.Failure last;

        Call(ToolRequest request, Execution execution, BiConsumer<Run, Throwable> then) {
            this.request = request;
            this.execution = execution;
            this.then = then;
        }

        void begin() {
            step(() -> {
                execution.runOn(Thread.currentThread());
                started = clock.instant();
                provider = names.provider(request.getProvider());
                RequestValidator.Validation validation = validator.check(request);
                if (validation.rejection() != null) {
                    RequestValidator.Rejection rejection = validation.rejection();
                    end(ToolStatus.REJECTED, error(rejection.type(), rejection.message(), false));
                    return;
                }
                Instant submittedDeadline = request.getSubmittedAt().plusMillis(request.getTimeoutMs());
                if (started.isAfter(submittedDeadline.plus(SUBMISSION_CLOCK_SKEW))) {
                    end(ToolStatus.TIMEOUT, error(EXPIRED_BEFORE_START, "submitted at " + request.getSubmittedAt()
                            + " with timeout_ms " + request.getTimeoutMs() + ": its deadline passed "
                            + Duration.between(submittedDeadline, started).toMillis()
                            + " ms before it could start; not run", false));
                    return;
                }
                tool = tools.find(request.getTool()).orElseThrow();
                arguments = validation.arguments();
                deadline = started.plusMillis(request.getTimeoutMs());
                maxAttempts = request.getMaxAttempts() > 0 ? request.getMaxAttempts() : config.maxAttempts();
                attempts();
            });
        }

        /** Runs attempts on this thread until the request ends or waits without a thread. */
        private void attempts() {
            while (true) {
                attempt++;
                ToolCall call = new ToolCall(request.getRequestId(), request.getTool(), arguments,
                        request.getProvider(), request.getModel(), request.getSpeculative(), attempt, deadline);
                Admission admission = admit(call, execution, provider);
                if (admission instanceof Outcome.Refused refused) {
                    // A breaker or rate limit that stops the retries leaves the last real failure standing.
                    boolean unservedAfterFailure = last != null && refused.status() == ToolStatus.UNAVAILABLE;
                    end(unservedAfterFailure ? last.status() : refused.status(),
                            unservedAfterFailure ? last.error() : refused.error());
                    return;
                }
                Admitted admitted = (Admitted) admission;
                long start = System.nanoTime();
                metrics.toolStarted(call.tool());
                if (tool instanceof AsyncTool async) {
                    new AsyncAttempt(this, call, admitted.breaker(), start).begin(async);
                    return;
                }
                Outcome outcome;
                try {
                    outcome = attempt(tool, call, execution);
                } finally {
                    metrics.toolFinished(call.tool());
                }
                if (!next(call, record(admitted.breaker(), outcome, start))) {
                    return;
                }
            }
        }

        /** An asynchronous attempt is over: on with the request, on this thread. */
        void attemptEnded(ToolCall call, CircuitBreaker breaker, long start, Outcome outcome) {
            execution.runOn(Thread.currentThread());
            metrics.toolFinished(call.tool());
            Outcome ended = execution.isStopped()
                    ? new Outcome.Failure(ToolStatus.CANCELLED, cancelled(execution)) : outcome;
            if (next(call, record(breaker, ended, start))) {
                attempts();
            }
        }

        /** What follows an attempt; true when the next attempt is to start now, on this thread. */
        private boolean next(ToolCall call, Outcome outcome) {
            ran = attempt;
            if (outcome instanceof Outcome.Success(ToolOutput out)) {
                output = out;
                end(ToolStatus.SUCCESS, null);
                return false;
            }
            last = (Outcome.Failure) outcome;
            boolean retriable = last.status() == ToolStatus.ERROR && last.error().getRetriable();
            if (!retriable) {
                end(last.status(), last.error());
                return false;
            }
            long backoff = attempt >= maxAttempts ? -1 : backoffMillis(attempt);
            if (backoff < 0 || clock.instant().plusMillis(backoff).isAfter(deadline)) {
                end(new Run(result(last.status(), last.error()), true));
                return false;
            }
            if (tool instanceof AsyncTool) {
                backOffWithoutThread(call, backoff);
                return false;
            }
            sleep(backoff);
            return retryNow(call);
        }

        /** After the backoff: true when the request is still to be tried again. */
        private boolean retryNow(ToolCall call) {
            if (execution.isStopped()) {
                end(ToolStatus.CANCELLED, cancelled(execution));
                return false;
            }
            metrics.retry(call.tool(), provider);
            return true;
        }

        /** The backoff of an asynchronous tool's request: a timer, not a sleeping thread; a stop ends it early. */
        private void backOffWithoutThread(ToolCall call, long backoffMillis) {
            AtomicBoolean resumed = new AtomicBoolean();
            Context context = Context.current();
            Runnable resume = () -> {
                if (resumed.compareAndSet(false, true)) {
                    continueOnWorker(context.wrap(() -> step(() -> {
                        execution.runOn(Thread.currentThread());
                        if (retryNow(call)) {
                            attempts();
                        }
                    })));
                }
            };
            if (!execution.awaitWithoutThread(resume)) {
                resume.run();
                return;
            }
            Deadlines.at(TimeUnit.MILLISECONDS.toNanos(backoffMillis), resume);
        }

        /** Runs one piece of the request; a bug in it ends the request (once) with the bug. */
        void step(Runnable piece) {
            try {
                piece.run();
            } catch (RuntimeException | Error e) {
                if (!ended.compareAndSet(false, true)) {
                    throw e;
                }
                then.accept(null, e);
            }
        }

        private void end(ToolStatus status, ToolError error) {
            end(new Run(result(status, error), false));
        }

        /** The request's result: its fields, its attempts so far, the output of a success (priced). */
        private ToolResult result(ToolStatus status, ToolError error) {
            ToolResult.Builder result = ToolResult.newBuilder()
                    .setRequestId(request.getRequestId())
                    .setCorrelationId(request.getCorrelationId())
                    .setTool(names.tool(request.getTool()))
                    .setSpeculative(request.getSpeculative())
                    .setProvider(provider)
                    .setModel(names.model(request.getModel()))
                    .setSubmittedAt(request.getSubmittedAt())
                    .setStartedAt(started)
                    .setExecutorId(config.executorId())
                    .setAttempts(ran);
            if (output != null) {
                result.setOutputJson(output.outputJson())
                        .setInputTokens(output.inputTokens())
                        .setOutputTokens(output.outputTokens())
                        .setCostUsd(pricing.costUsd(provider, result.getModel(), output.inputTokens(),
                                output.outputTokens()));
            }
            return result.setStatus(status).setError(error).setFinishedAt(clock.instant()).build();
        }

        private void end(Run run) {
            if (ended.compareAndSet(false, true)) {
                then.accept(run, null);
            }
        }
    }

    /**
     * One attempt of an {@link AsyncTool}: the first of the tool's stage, the deadline and a stop (cancel, abandon)
     * settles it; the other two are then undone (the stage cancelled, the alarm removed).
     */
    private final class AsyncAttempt {
        private final Call request;
        private final ToolCall call;
        private final CircuitBreaker breaker;
        private final long start;
        private final Context context = Context.current();
        private final AtomicBoolean settled = new AtomicBoolean();
        private volatile ScheduledFuture<?> alarm;
        private volatile CompletableFuture<ToolOutput> stage;

        AsyncAttempt(Call request, ToolCall call, CircuitBreaker breaker, long start) {
            this.request = request;
            this.call = call;
            this.breaker = breaker;
            this.start = start;
        }

        void begin(AsyncTool tool) {
            long remaining = Duration.between(clock.instant(), call.deadline()).toNanos();
            if (remaining <= 0) {
                settle(timeout(call), true);
                return;
            }
            if (!request.execution.awaitWithoutThread(this::stopped)) {
                stopped();
                return;
            }
            alarm = Deadlines.at(remaining, () -> settle(timeout(call), false));
            if (settled.get()) {
                alarm.cancel(false);
                return;
            }
            CompletableFuture<ToolOutput> output;
            try {
                CompletionStage<ToolOutput> started = tool.executeAsync(call);
                output = started == null ? CompletableFuture.failedFuture(new NullPointerException(
                        "executeAsync returned no stage")) : started.toCompletableFuture();
            } catch (Throwable e) { // as a stage completed with it: whatever the tool throws is the attempt's failure
                output = CompletableFuture.failedFuture(e);
            }
            stage = output;
            if (settled.get()) {
                output.cancel(true);
                return;
            }
            output.whenComplete((out, failure) -> settle(failure != null ? failed(AsyncTool.cause(failure), call)
                    : out == null ? nullOutput() : new Outcome.Success(out), true));
        }

        private void stopped() {
            settle(new Outcome.Failure(ToolStatus.CANCELLED, cancelled(request.execution)), false);
        }

        /** @param byTool the tool's stage completed (on its thread, which may carry the request on if virtual) */
        private void settle(Outcome outcome, boolean byTool) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> deadlineAlarm = alarm;
            if (deadlineAlarm != null) {
                deadlineAlarm.cancel(false);
            }
            CompletableFuture<ToolOutput> output = stage;
            if (!byTool && output != null) {
                output.cancel(true);
            }
            Runnable resume = context.wrap(() -> request.step(() -> request.attemptEnded(call, breaker, start,
                    outcome)));
            if (byTool && Thread.currentThread().isVirtual()) {
                resume.run();
            } else {
                continueOnWorker(resume);
            }
        }
    }

    /** Carries a request on on one of the workers; when they are shut down (the executor stops), it stops there. */
    private void continueOnWorker(Runnable resume) {
        try {
            attempts.execute(resume);
        } catch (RejectedExecutionException e) {
            // Stopping: the request's record stays uncommitted and its partition's next owner runs it again.
        }
    }

    /**
     * Takes the rate-limit permit and the breaker's permission for an attempt, in that order.
     *
     * @return why the attempt may not run ({@link Outcome.Refused}), or {@link Admitted} with the breaker whose
     *         permission it holds
     */
    private Admission admit(ToolCall call, Execution execution, String provider) {
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
        return new Admitted(breaker);
    }

    /** Tells the breaker how the attempt it permitted went. */
    private static Outcome record(CircuitBreaker breaker, Outcome outcome, long start) {
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

    /** The backoff before the attempt after {@code attempt}: exponential, with jitter. */
    private long backoffMillis(int attempt) {
        long base = config.retryBackoff().toMillis() << Math.min(attempt - 1, 20);
        return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }

    /** Sleeps before a retry; an interrupt (a stop) ends it early, and the stop is then seen. */
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // the caller checks whether the request was stopped
        }
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
