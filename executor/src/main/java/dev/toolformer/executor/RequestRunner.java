package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;

/**
 * Turns one request into its one final result: validates it (REJECTED when it cannot run), runs
 * the tool on a virtual thread under the request's deadline (TIMEOUT, with the tool interrupted),
 * retries retriable failures with exponential backoff and jitter, and prices the token usage.
 * The deadline is {@code timeout_ms} after execution starts and covers every attempt.
 */
final class RequestRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolRegistry tools;
    private final Pricing pricing;
    private final ExecutorConfig config;
    private final ExecutorService attempts;
    private final Clock clock;

    RequestRunner(ToolRegistry tools, Pricing pricing, ExecutorConfig config, ExecutorService attempts, Clock clock) {
        this.tools = tools;
        this.pricing = pricing;
        this.config = config;
        this.attempts = attempts;
        this.clock = clock;
    }

    ToolResult run(ToolRequest request) {
        Instant started = clock.instant();
        ToolResult.Builder result = ToolResult.newBuilder()
                .setRequestId(request.getRequestId())
                .setCorrelationId(request.getCorrelationId())
                .setTool(request.getTool())
                .setSpeculative(request.getSpeculative())
                .setProvider(request.getProvider())
                .setModel(request.getModel())
                .setSubmittedAt(request.getSubmittedAt())
                .setStartedAt(started)
                .setExecutorId(config.executorId())
                .setAttempts(0);
        String invalid = validate(request);
        if (invalid != null) {
            return finish(result, ToolStatus.REJECTED, error("InvalidRequest", invalid, false));
        }
        Tool tool = tools.find(request.getTool()).orElseThrow();
        ObjectNode arguments = (ObjectNode) parse(request.getArgumentsJson());
        Instant deadline = started.plusMillis(request.getTimeoutMs());
        int maxAttempts = request.getMaxAttempts() > 0 ? request.getMaxAttempts() : config.maxAttempts();
        for (int attempt = 1; ; attempt++) {
            result.setAttempts(attempt);
            ToolCall call = new ToolCall(request.getRequestId(), request.getTool(), arguments,
                    request.getProvider(), request.getModel(), request.getSpeculative(), attempt, deadline);
            Outcome outcome = attempt(tool, call);
            if (outcome instanceof Outcome.Success(ToolOutput out)) {
                result.setOutputJson(out.outputJson())
                        .setInputTokens(out.inputTokens())
                        .setOutputTokens(out.outputTokens())
                        .setCostUsd(pricing.costUsd(request.getProvider(), request.getModel(),
                                out.inputTokens(), out.outputTokens()));
                return finish(result, ToolStatus.SUCCESS, null);
            }
            Outcome.Failure failure = (Outcome.Failure) outcome;
            boolean retry = failure.status() == ToolStatus.ERROR && failure.error().getRetriable()
                    && attempt < maxAttempts && sleepBeforeRetry(attempt, deadline);
            if (!retry) {
                return finish(result, failure.status(), failure.error());
            }
        }
    }

    /** Why the request cannot run at all, or null when it can. */
    private String validate(ToolRequest request) {
        if (request.getRequestId().isBlank()) {
            return "request_id is empty";
        }
        if (tools.find(request.getTool()).isEmpty()) {
            return "unknown tool '" + request.getTool() + "'; known tools: " + tools.names();
        }
        if (request.getTimeoutMs() <= 0) {
            return "timeout_ms must be > 0, was " + request.getTimeoutMs();
        }
        if (request.getTimeoutMs() > config.maxTimeout().toMillis()) {
            return "timeout_ms must be <= " + config.maxTimeout().toMillis() + ", was " + request.getTimeoutMs();
        }
        JsonNode arguments = parse(request.getArgumentsJson());
        if (arguments == null) {
            return "arguments_json is not valid JSON";
        }
        if (!arguments.isObject()) {
            return "arguments_json must be a JSON object, was " + arguments.getNodeType().name().toLowerCase();
        }
        return null;
    }

    private sealed interface Outcome {
        record Success(ToolOutput output) implements Outcome {
        }

        record Failure(ToolStatus status, ToolError error) implements Outcome {
        }
    }

    private Outcome attempt(Tool tool, ToolCall call) {
        long remainingNanos = Duration.between(clock.instant(), call.deadline()).toNanos();
        if (remainingNanos <= 0) {
            return timeout(call);
        }
        Future<ToolOutput> future = attempts.submit(() -> tool.execute(call));
        try {
            ToolOutput output = future.get(remainingNanos, TimeUnit.NANOSECONDS);
            if (output == null) {
                return new Outcome.Failure(ToolStatus.ERROR, error("NullOutput", "tool returned no output", false));
            }
            return new Outcome.Success(output);
        } catch (TimeoutException e) {
            future.cancel(true);
            return timeout(call);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new Outcome.Failure(ToolStatus.CANCELLED, error("Cancelled", "executor shutting down", true));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return switch (cause) {
                case InvalidArgumentsException invalid ->
                        new Outcome.Failure(ToolStatus.REJECTED, error("InvalidArguments", invalid.getMessage(), false));
                case RetriableToolException retriable ->
                        new Outcome.Failure(ToolStatus.ERROR, error(typeName(retriable), retriable.getMessage(), true));
                case InterruptedException interrupted -> timeout(call);
                default -> new Outcome.Failure(ToolStatus.ERROR, error(typeName(cause), String.valueOf(cause.getMessage()), false));
            };
        }
    }

    private Outcome.Failure timeout(ToolCall call) {
        return new Outcome.Failure(ToolStatus.TIMEOUT, error("Timeout",
                "deadline passed after attempt " + call.attempt() + " (deadline " + call.deadline() + ")", true));
    }

    /** Sleeps the backoff before the next attempt; false when the deadline would pass first. */
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
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private ToolResult finish(ToolResult.Builder result, ToolStatus status, ToolError error) {
        return result.setStatus(status).setError(error).setFinishedAt(clock.instant()).build();
    }

    private static ToolError error(String type, String message, boolean retriable) {
        return ToolError.newBuilder().setType(type).setMessage(message).setRetriable(retriable).build();
    }

    private static String typeName(Throwable t) {
        return t.getClass().getSimpleName();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
