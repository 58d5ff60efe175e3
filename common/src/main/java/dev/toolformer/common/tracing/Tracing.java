package dev.toolformer.common.tracing;

import java.util.Objects;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.apache.kafka.common.header.Headers;

/**
 * The process's tracing: an OpenTelemetry SDK whose trace context travels in Kafka record headers
 * (W3C {@code traceparent}), so a trace that starts when a request is published continues through its
 * execution and its result. Spans are sampled at a configurable ratio (the spec's default 0.1), child
 * spans follow their parent's decision; exporting is optional (none by default, OTLP when the app
 * configures it). Unsampled requests still carry their trace id end to end.
 */
public final class Tracing {
    /** The spec's sampling ratio. */
    public static final double DEFAULT_SAMPLE_RATIO = 0.1;
    private static final String INSTRUMENTATION = "dev.toolformer";

    private static volatile OpenTelemetrySdk sdk = build(DEFAULT_SAMPLE_RATIO, null);

    private Tracing() {
    }

    /**
     * Replaces the process's tracing.
     *
     * @param exporter where finished sampled spans go; null keeps them in the process only
     */
    public static synchronized void configure(double sampleRatio, SpanExporter exporter) {
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException("trace sample ratio must be between 0 and 1, was " + sampleRatio);
        }
        OpenTelemetrySdk previous = sdk;
        sdk = build(sampleRatio, exporter);
        previous.close();
    }

    /**
     * Replaces the process's tracing with {@code replacement} (an SDK the application built, e.g. from the
     * {@code OTEL_*} environment); give it {@link #idsOnly()} as a span processor when it exports nothing, or its
     * spans have no ids.
     */
    public static synchronized void install(OpenTelemetrySdk replacement) {
        OpenTelemetrySdk previous = sdk;
        sdk = Objects.requireNonNull(replacement, "replacement == null");
        previous.close();
    }

    /** A span processor that keeps nothing: with it, an SDK that exports nothing still creates real spans. */
    public static SpanProcessor idsOnly() {
        return new IdsOnly();
    }

    public static OpenTelemetry openTelemetry() {
        return sdk;
    }

    public static Tracer tracer() {
        return sdk.getTracer(INSTRUMENTATION);
    }

    /** The context carried by {@code headers} (a fresh root when they carry none). */
    public static Context extract(Headers headers) {
        return sdk.getPropagators().getTextMapPropagator().extract(Context.root(), headers, KafkaHeaders.INSTANCE);
    }

    /** Writes {@code context}'s span into {@code headers}, replacing any trace context already there. */
    public static void inject(Context context, Headers headers) {
        Objects.requireNonNull(headers, "headers == null");
        sdk.getPropagators().getTextMapPropagator().inject(context, headers, KafkaHeaders.INSTANCE);
    }

    /** The trace id of {@code headers}' context, or null when they carry none. */
    public static String traceId(Headers headers) {
        SpanContext span = Span.fromContext(extract(headers)).getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }

    /** Flushes and stops exporting; idempotent. */
    public static void shutdown() {
        sdk.close();
    }

    private static OpenTelemetrySdk build(double ratio, SpanExporter exporter) {
        SdkTracerProviderBuilder provider = SdkTracerProvider.builder()
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio)));
        // Without any processor the SDK hands out a no-op tracer, whose spans have no ids: no trace id in the logs,
        // the results' headers or the metrics' exemplars. Without an exporter, spans are created (ids, sampling) and
        // dropped at their end.
        provider.addSpanProcessor(exporter != null ? BatchSpanProcessor.builder(exporter).build() : new IdsOnly());
        return OpenTelemetrySdk.builder()
                .setTracerProvider(provider.build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    /** A processor that keeps nothing: it only makes the SDK create real spans. */
    private static final class IdsOnly implements SpanProcessor {
        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
        }

        @Override
        public boolean isEndRequired() {
            return false;
        }
    }
}
