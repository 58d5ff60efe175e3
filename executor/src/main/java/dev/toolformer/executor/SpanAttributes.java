package dev.toolformer.executor;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys of the executor's spans: OpenTelemetry's GenAI, HTTP, server and URL semantic conventions, and
 * ours. Built once: a span's {@code setAttribute(String, ...)} makes a new key on every call, sampled or not.
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
    public static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    public static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
            AttributeKey.longKey("http.response.status_code");
    public static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    public static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    public static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    public static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    public static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    /** The request's id, on its {@code execute_tool} span. */
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("toolformer.request_id");
    /** The result's status ({@code SUCCESS}, {@code TIMEOUT}...), on its {@code execute_tool} span. */
    public static final AttributeKey<String> STATUS = AttributeKey.stringKey("toolformer.status");

    private SpanAttributes() {
    }
}
