package dev.toolformer.server;

import io.opentelemetry.api.trace.Span;
import io.prometheus.metrics.tracer.common.SpanContext;

/**
 * Links histogram buckets to traces: while a sampled OpenTelemetry span is current (the executor records a
 * request's duration inside its {@code execute_tool} span), the Prometheus registry keeps its trace and span id
 * as the bucket's exemplar, which {@code /metrics} shows when the scraper asks for OpenMetrics
 * ({@code Accept: application/openmetrics-text}; Prometheus with {@code --enable-feature=exemplar-storage}).
 * Grafana then jumps from a latency spike to the trace in Jaeger.
 */
final class TraceExemplars implements SpanContext {
    @Override
    public String getCurrentTraceId() {
        return valid() ? Span.current().getSpanContext().getTraceId() : null;
    }

    @Override
    public String getCurrentSpanId() {
        return valid() ? Span.current().getSpanContext().getSpanId() : null;
    }

    @Override
    public boolean isCurrentSpanSampled() {
        return valid() && Span.current().getSpanContext().isSampled();
    }

    @Override
    public void markCurrentSpanAsExemplar() {
        Span.current().setAttribute(EXEMPLAR_ATTRIBUTE_NAME, EXEMPLAR_ATTRIBUTE_VALUE);
    }

    private static boolean valid() {
        return Span.current().getSpanContext().isValid();
    }
}
