package dev.toolformer.executor;

import java.util.Objects;

/**
 * What a tool call returned.
 *
 * @param outputJson   the output, a JSON value as a string
 * @param inputTokens  model input tokens used (0 when no model was called)
 * @param outputTokens model output tokens used
 */
public record ToolOutput(String outputJson, long inputTokens, long outputTokens) {

    public ToolOutput {
        Objects.requireNonNull(outputJson, "outputJson == null");
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, were " + inputTokens + "/" + outputTokens);
        }
    }

    public static ToolOutput of(String outputJson) {
        return new ToolOutput(outputJson, 0, 0);
    }
}
