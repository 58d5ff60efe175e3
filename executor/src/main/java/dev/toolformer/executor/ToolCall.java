package dev.toolformer.executor;

import java.time.Instant;
import java.util.Objects;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One call of a tool: its parsed arguments and where it comes from.
 *
 * @param attempt  1 for the first attempt, 2 for the first retry...
 * @param deadline the call is interrupted when this passes
 */
public record ToolCall(String requestId, String tool, ObjectNode arguments, String provider, String model,
                       boolean speculative, int attempt, Instant deadline) {

    public ToolCall {
        Objects.requireNonNull(requestId, "requestId == null");
        Objects.requireNonNull(tool, "tool == null");
        Objects.requireNonNull(arguments, "arguments == null");
        Objects.requireNonNull(provider, "provider == null");
        Objects.requireNonNull(model, "model == null");
        Objects.requireNonNull(deadline, "deadline == null");
    }
}
