package dev.toolformer.embedded.testing;

import java.util.Collection;

import dev.toolformer.common.tracing.Tracing;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * A test's OpenTelemetry SDK, installed as the process's {@link Tracing} (what the CLI does with the SDK it builds
 * from the {@code OTEL_*} settings): parent-based sampling at a ratio, W3C trace context, finished sampled spans
 * handed to an exporter at once. A test that needs the SDK adds {@code opentelemetry-sdk} in test scope.
 */
public final class TestTracing {
    private static OpenTelemetrySdk current;

    private TestTracing() {
    }

    /**
     * Installs an SDK sampling {@code sampleRatio} of new traces; {@code exporter} (or nothing, when null) gets each
     * sampled span as it ends. Replaces (and closes) the one installed before.
     */
    public static synchronized OpenTelemetrySdk install(double sampleRatio, SpanExporter exporter) {
        SpanExporter to = exporter != null ? exporter : SpanExporter.composite();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio)))
                        // A processor, even one exporting nowhere: without one the SDK's spans have no ids.
                        .addSpanProcessor(SimpleSpanProcessor.create(to))
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        Tracing.install(sdk);
        close(current);
        current = sdk;
        return sdk;
    }

    /** Back to no SDK (the API's no-op, as in an application that configures none). */
    public static synchronized void reset() {
        Tracing.install(null);
        close(current);
        current = null;
    }

    private static void close(OpenTelemetrySdk sdk) {
        if (sdk != null) {
            sdk.close();
        }
    }

    /** An exporter that adds each span, as it ends, to {@code ended} (a thread-safe collection). */
    public static SpanExporter collectingInto(Collection<SpanData> ended) {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                ended.addAll(spans);
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }
}
