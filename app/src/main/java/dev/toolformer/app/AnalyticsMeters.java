package dev.toolformer.app;

import dev.toolformer.analytics.AnalyticsService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The analytics service's own figures on {@code /metrics}: input records whose event time was clamped to the
 * broker's time (an executor's clock off), and records Streams dropped (late beyond the grace, so in no
 * aggregate) — the latter is what the {@code LateRecordsDropped} Prometheus rule alerts on.
 */
public final class AnalyticsMeters {
    public static final String CLAMPED = "toolformer_analytics_event_time_clamped_total";
    public static final String DROPPED = "toolformer_analytics_dropped_records_total";

    private AnalyticsMeters() {
    }

    public static void bind(MeterRegistry registry, AnalyticsService analytics) {
        FunctionCounter.builder(CLAMPED, analytics, AnalyticsService::clampedRecords)
                .description("Input records whose event time was clamped to the broker's append time: the executor's"
                        + " clock was off by more than the tolerance")
                .register(registry);
        FunctionCounter.builder(DROPPED, analytics, AnalyticsService::droppedRecords)
                .description("Records Kafka Streams dropped, above all results later than their window's grace")
                .register(registry);
    }
}
