package dev.toolformer.executor;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys of the executor's spans that OpenTelemetry's stable semantic conventions
 * ({@code io.opentelemetry.semconv}: {@code HttpAttributes}, {@code ServerAttributes}, {@code UrlAttributes},
 * {@code ExceptionAttributes}) do not define: the GenAI conventions' (still incubating) and ours. Built once: a span's
 * {@code setAttribute(String, ...)} makes a new key on every call, sampled or not.
 */
public final class SpanAttributes {
    public static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    public static final AttributeKey<String> GEN_AI_TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    public static final AttributeKey<String> GEN_AI_SYSTEM = AttributeKey.stringKey("gen_ai.system");
    public static final AttributeKey<String> GEN_AI_REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    public static final AttributeKey<Long> GEN_AI_USAGE_INPUT_TOKENS =
            AttributeKey.longKey("gen_ai.usage.input_tokens");
    public static final AttributeKey<Long> GEN_AI_USAGE_OUTPUT_TOKENS =
            AttributeKey.longKey("gen_ai.usage.output_tokens");
    /** The request's id, on its {@code execute_tool} span. */
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("toolformer.request_id");
    /** The result's status ({@code SUCCESS}, {@code TIMEOUT}...), on its {@code execute_tool} span. */
    public static final AttributeKey<String> STATUS = AttributeKey.stringKey("toolformer.status");

    private SpanAttributes() {
    }
}
