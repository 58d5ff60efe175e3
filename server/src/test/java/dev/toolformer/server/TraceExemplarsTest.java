package dev.toolformer.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.TestTracing;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TraceExemplarsTest {
    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    @AfterEach
    void defaultTracing() {
        TestTracing.reset();
    }

    @Test
    void shouldLinkTheBucketOfADurationRecordedInASampledSpanToItsTraceWithNoExporterConfigured() {
        TestTracing.install(1.0, null);
        PrometheusMeterRegistry registry = ProcessMeters.registry("test");
        Timer timer = Timer.builder("work_duration")
                .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofSeconds(1)).register(registry);
        Span span = Tracing.tracer().spanBuilder("work").startSpan();
        try (Scope scope = span.makeCurrent()) {
            timer.record(Duration.ofMillis(300));
        } finally {
            span.end();
        }

        assertThat(span.getSpanContext().isValid()).as("a real span, though nothing exports it").isTrue();
        assertThat(registry.scrape(OPENMETRICS)).contains("work_duration_seconds_bucket{le=\"1.0\"} 1 # {span_id=\""
                + span.getSpanContext().getSpanId() + "\",trace_id=\"" + span.getSpanContext().getTraceId()
                + "\"} 0.3");
        assertThat(registry.scrape()).doesNotContain("trace_id"); // the classic text format has no exemplars
    }

    @Test
    void shouldLeaveBucketsWithoutExemplarsOutsideASampledSpan() {
        TestTracing.install(0.0, null);
        PrometheusMeterRegistry registry = ProcessMeters.registry("test");
        Timer timer = Timer.builder("idle_duration").serviceLevelObjectives(Duration.ofSeconds(1)).register(registry);
        timer.record(Duration.ofMillis(300));
        Span unsampled = Tracing.tracer().spanBuilder("work").startSpan();
        try (Scope scope = unsampled.makeCurrent()) {
            timer.record(Duration.ofMillis(400));
        } finally {
            unsampled.end();
        }

        assertThat(unsampled.getSpanContext().isValid()).as("unsampled, yet with ids for the logs").isTrue();
        assertThat(registry.scrape(OPENMETRICS)).contains("idle_duration_seconds_bucket{le=\"1.0\"} 2\n");
    }
}
