package dev.toolformer.executor.tools;

import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.json.Jackson;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.Tool;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;

/**
 * Pretends to call a model-backed tool: sleeps {@code latency_ms}, fails with probability
 * {@code fail_probability} (a retriable failure when {@code retriable} is true), and reports
 * {@code input_tokens} / {@code output_tokens}. Every argument is optional.
 */
public final class SimulatedTool implements Tool {

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public ToolOutput execute(ToolCall call) throws Exception {
        ObjectNode args = call.arguments();
        long latencyMs = nonNegativeLong(args, "latency_ms", 0);
        double failProbability = probability(args, "fail_probability");
        long inputTokens = nonNegativeLong(args, "input_tokens", 0);
        long outputTokens = nonNegativeLong(args, "output_tokens", 0);
        boolean retriable = args.path("retriable").asBoolean(false);
        if (latencyMs > 0) {
            Thread.sleep(latencyMs);
        }
        if (failProbability > 0 && ThreadLocalRandom.current().nextDouble() < failProbability) {
            String message = "simulated failure of " + args.path("name").asText("simulated");
            if (retriable) {
                throw new RetriableToolException(message);
            }
            throw new IllegalStateException(message);
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("tool", args.path("name").asText("simulated"));
        out.put("model", call.model());
        out.put("latency_ms", latencyMs);
        out.put("text", "simulated answer for " + call.requestId());
        return new ToolOutput(Jackson.write(out), inputTokens, outputTokens);
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

    /** Nothing here blocks but {@code Thread.sleep}, which an interrupt ends. */
    @Override
    public boolean interruptible() {
        return true;
    }
}
