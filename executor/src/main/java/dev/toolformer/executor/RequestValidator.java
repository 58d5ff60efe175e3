package dev.toolformer.executor;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.json.Jackson;
import dev.toolformer.schema.ToolRequest;

/**
 * Whether a request can run at all, judged before any attempt: a request the client got wrong (empty id, unknown
 * tool, timeout out of range, arguments too large, not JSON, not a JSON object) gets a REJECTED result naming the
 * problem and never counts against an SLO. The arguments are parsed here, once: they may be 1 MiB.
 */
final class RequestValidator {
    private static final ObjectMapper JSON = Jackson.mapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** Why a request cannot run: the error type of its REJECTED result, and a message naming the problem. */
    record Rejection(String type, String message) {
    }

    private final ToolRegistry tools;
    private final ExecutorConfig config;

    RequestValidator(ToolRegistry tools, ExecutorConfig config) {
        this.tools = Objects.requireNonNull(tools, "tools == null");
        this.config = Objects.requireNonNull(config, "config == null");
    }

    /** Why the request cannot run, or its arguments parsed (once: they may be 1 MiB). */
    record Validation(Rejection rejection, ObjectNode arguments) {
        Validation(Rejection rejection) {
            this(rejection, null);
        }
    }

    /** The request judged: why it cannot run, or its arguments parsed. */
    Validation check(ToolRequest request) {
        Rejection rejection = reject(request);
        if (rejection != null) {
            return new Validation(rejection);
        }
        JsonNode arguments = parse(request.getArgumentsJson());
        if (arguments == null || arguments.isMissingNode()) {
            return new Validation(new Rejection("InvalidJson", "arguments_json is not valid JSON"));
        }
        if (!arguments.isObject()) {
            return new Validation(new Rejection("NotAnObject", "arguments_json must be a JSON object, was "
                    + arguments.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        return new Validation(null, (ObjectNode) arguments);
    }

    /** Why the request cannot run, judged without parsing its arguments, or null. */
    private Rejection reject(ToolRequest request) {
        if (request.getRequestId().isBlank()) {
            return new Rejection("InvalidRequest", "request_id is empty");
        }
        if (tools.find(request.getTool()).isEmpty()) {
            return new Rejection("UnknownTool", "unknown tool '" + request.getTool() + "'; known tools: " + tools.names());
        }
        if (request.getTimeoutMs() <= 0) {
            return new Rejection("InvalidTimeout", "timeout_ms must be > 0, was " + request.getTimeoutMs());
        }
        if (request.getTimeoutMs() > config.maxTimeout().toMillis()) {
            return new Rejection("InvalidTimeout", "timeout_ms must be <= " + config.maxTimeout().toMillis()
                    + ", was " + request.getTimeoutMs());
        }
        String json = request.getArgumentsJson();
        // A char is at most 3 UTF-8 bytes, so short strings need no encoding to be measured.
        if ((long) json.length() * 3 > config.maxArgumentsBytes()) {
            int bytes = json.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > config.maxArgumentsBytes()) {
                return new Rejection("ArgumentsTooLarge", "arguments_json is " + bytes + " bytes, more than the "
                        + config.maxArgumentsBytes() + " allowed");
            }
        }
        return null;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
