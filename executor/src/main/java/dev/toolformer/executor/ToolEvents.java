package dev.toolformer.executor;

import java.time.Duration;

import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The spec's structured events of each tool execution, on their own logger {@value #LOGGER} so that an operator
 * can turn them on or off without touching the rest: {@code tool_execution_started} (INFO) when a request starts
 * running, then {@code tool_execution_completed} (INFO, SUCCESS) or {@code tool_execution_failed} (WARN, any other
 * status) with {@code duration_ms}, {@code status}, {@code attempts} and, on failure, {@code error} and
 * {@code error_type}. The fields are SLF4J key-value pairs: fields of the JSON line, {@code key=value} pairs after
 * the message in text. The request and correlation ids and the trace and span ids are the line's MDC (they are in
 * the JSON line; the text message names the request).
 */
final class ToolEvents {
    static final String LOGGER = "toolformer.tool-events";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private ToolEvents() {
    }

    static void started(ToolRequest request) {
        if (LOG.isInfoEnabled()) {
            call(LOG.atInfo(), "tool_execution_started", request)
                    .log("Tool execution started: {} for request {}", request.getTool(), request.getRequestId());
        }
    }

    static void finished(ToolRequest request, ToolResult result) {
        boolean ok = result.getStatus() == ToolStatus.SUCCESS;
        if (ok ? !LOG.isInfoEnabled() : !LOG.isWarnEnabled()) {
            return;
        }
        long durationMs = Duration.between(result.getStartedAt(), result.getFinishedAt()).toMillis();
        LoggingEventBuilder event = call(ok ? LOG.atInfo() : LOG.atWarn(),
                ok ? "tool_execution_completed" : "tool_execution_failed", request)
                .addKeyValue("status", result.getStatus().name())
                .addKeyValue("duration_ms", durationMs)
                .addKeyValue("attempts", result.getAttempts());
        if (result.getError() != null) {
            event = event.addKeyValue("error", result.getError().getMessage())
                    .addKeyValue("error_type", result.getError().getType());
        }
        event.log(ok ? "Tool execution completed: {} for request {} in {} ms"
                : "Tool execution failed: {} for request {} after {} ms", request.getTool(), request.getRequestId(),
                durationMs);
    }

    private static LoggingEventBuilder call(LoggingEventBuilder event, String name, ToolRequest request) {
        return event.addKeyValue("event", name)
                .addKeyValue("tool", request.getTool())
                .addKeyValue("provider", request.getProvider())
                .addKeyValue("model", request.getModel());
    }
}
