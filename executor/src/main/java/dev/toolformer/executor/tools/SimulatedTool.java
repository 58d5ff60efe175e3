package dev.toolformer.executor.tools;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.json.Jackson;
import dev.toolformer.executor.AsyncTool;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;

/**
 * Pretends to call a model-backed tool: waits {@code latency_ms}, fails with probability
 * {@code fail_probability} (a retriable failure when {@code retriable} is true), and reports
 * {@code input_tokens} / {@code output_tokens}. Every argument is optional. It waits without a thread (an
 * {@link AsyncTool}): a timer on one shared thread ends the wait, so a request in flight here holds no stack.
 */
public final class SimulatedTool implements AsyncTool {
    /** The waits of every call in flight: one daemon thread; a cancelled wait leaves its queue at once. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public CompletionStage<ToolOutput> executeAsync(ToolCall call) {
        Answer answer;
        try {
            answer = Answer.of(call);
        } catch (InvalidArgumentsException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (answer.latencyMs == 0) {
            return answer.settle(new CompletableFuture<>());
        }
        CompletableFuture<ToolOutput> output = new CompletableFuture<>();
        // The answer is built on a virtual thread, not on the timer's, which tens of thousands of calls share.
        ScheduledFuture<?> wait = TIMER.schedule(() -> Thread.ofVirtual().start(() -> answer.settle(output)),
                answer.latencyMs, TimeUnit.MILLISECONDS);
        output.whenComplete((out, error) -> wait.cancel(false)); // cancelled at its deadline: the timer lets go
        return output;
    }

    /** What a call will answer: only what it needs of the request, so a waiting call holds no argument tree. */
    private record Answer(String requestId, String model, String name, long latencyMs, double failProbability,
                          boolean retriable, long inputTokens, long outputTokens) {

        static Answer of(ToolCall call) throws InvalidArgumentsException {
            ObjectNode args = call.arguments();
            return new Answer(call.requestId(), call.model(), args.path("name").asText("simulated"),
                    nonNegativeLong(args, "latency_ms", 0), probability(args, "fail_probability"),
                    args.path("retriable").asBoolean(false), nonNegativeLong(args, "input_tokens", 0),
                    nonNegativeLong(args, "output_tokens", 0));
        }

        CompletableFuture<ToolOutput> settle(CompletableFuture<ToolOutput> output) {
            if (failProbability > 0 && ThreadLocalRandom.current().nextDouble() < failProbability) {
                String message = "simulated failure of " + name;
                output.completeExceptionally(retriable ? new RetriableToolException(message)
                        : new IllegalStateException(message));
                return output;
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("tool", name);
            out.put("model", model);
            out.put("latency_ms", latencyMs);
            out.put("text", "simulated answer for " + requestId);
            output.complete(new ToolOutput(Jackson.write(out), inputTokens, outputTokens));
            return output;
        }
    }

    private static long nonNegativeLong(ObjectNode args, String key, long fallback) throws InvalidArgumentsException {
        JsonNode node = args.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToLong() || !node.isIntegralNumber() || node.asLong() < 0) {
            throw new InvalidArgumentsException(key + " must be a non-negative integer, was " + node);
        }
        return node.asLong();
    }

    private static double probability(ObjectNode args, String key) throws InvalidArgumentsException {
        JsonNode node = args.get(key);
        if (node == null || node.isNull()) {
            return 0;
        }
        if (!node.isNumber() || node.asDouble() < 0 || node.asDouble() > 1) {
            throw new InvalidArgumentsException(key + " must be a number between 0 and 1, was " + node);
        }
        return node.asDouble();
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("toolformer-simulated-tool").daemon().factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
