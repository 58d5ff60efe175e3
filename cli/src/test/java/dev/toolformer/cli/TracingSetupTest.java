package dev.toolformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.common.tracing.Tracing;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK the CLI builds from its options and the {@code OTEL_*} settings, exporting to a real OTLP/HTTP receiver. */
class TracingSetupTest {
    @AfterEach
    void clearProperties() {
        System.clearProperty("otel.service.name");
        System.clearProperty("otel.resource.attributes");
    }

    @Test
    void shouldGiveSpansIdsAndTheServiceNameWithoutExportingAnything() {
        try (OpenTelemetrySdk sdk = TracingSetup.build("toolformer-executor", 1.0, false, null, false, Map.of())) {
            Span span = sdk.getTracer("test").spanBuilder("work").startSpan();
            span.end();

            assertThat(span.getSpanContext().isValid()).isTrue();
            assertThat(span.getSpanContext().isSampled()).isTrue();
            assertThat(sdk.getSdkTracerProvider().toString()).contains("service.name=\"toolformer-executor\"");
        }
    }

    @Test
    void shouldExportOverOtlpHttpProtobufWithTheServiceNameTheEnvironmentGives() throws Exception {
        List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
        List<String> contentTypes = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/traces", exchange -> {
            contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
            received.add(ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        // What OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES set in a pod; the system properties read the same way.
        System.setProperty("otel.service.name", "toolformer-analytics-eu");
        System.setProperty("otel.resource.attributes", "deployment.environment=production");
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/traces";
        try (OpenTelemetrySdk sdk = TracingSetup.build("toolformer-analytics", 1.0, true, endpoint, true, Map.of())) {
            sdk.getTracer("test").spanBuilder("aggregate").startSpan().end();
            assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        } finally {
            receiver.stop(0);
        }

        assertThat(contentTypes).containsOnly("application/x-protobuf");
        ResourceSpans spans = received.getFirst().getResourceSpans(0);
        assertThat(attribute(spans.getResource().getAttributesList(), "service.name"))
                .isEqualTo("toolformer-analytics-eu");
        assertThat(attribute(spans.getResource().getAttributesList(), "deployment.environment"))
                .isEqualTo("production");
        assertThat(spans.getScopeSpans(0).getSpans(0).getName()).isEqualTo("aggregate");
    }

    @Test
    void shouldSampleNothingAtRatioZeroYetKeepIds() {
        try (OpenTelemetrySdk sdk = TracingSetup.build("toolformer-executor", 0.0, true, null, false, Map.of())) {
            Span span = sdk.getTracer("test").spanBuilder("work").startSpan();
            span.end();

            assertThat(span.getSpanContext().isValid()).isTrue();
            assertThat(span.getSpanContext().isSampled()).isFalse();
        }
    }

    @Test
    void shouldInstallItsSdkWhenSomethingAlreadyMadeTheNoopGlobal() {
        TracingSetup.shutdown();
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.get(); // what any library's first call does: the no-op is global for good
        try {
            TracingSetup.install("toolformer-executor", 1.0, true, null, false, Map.of());
            Span span = Tracing.tracer().spanBuilder("work").startSpan();
            span.end();

            assertThat(span.getSpanContext().isValid()).isTrue();
        } finally {
            TracingSetup.shutdown();
            Tracing.install(null);
            GlobalOpenTelemetry.resetForTest();
        }
    }

    private static String attribute(List<KeyValue> attributes, String key) {
        return attributes.stream().filter(a -> a.getKey().equals(key)).findFirst().orElseThrow()
                .getValue().getStringValue();
    }
}
