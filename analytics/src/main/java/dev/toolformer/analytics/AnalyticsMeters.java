package dev.toolformer.analytics;

import java.util.function.Consumer;

import dev.toolformer.schema.SpeculationWindow;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The analytics service's own figures on {@code /metrics}, wherever it runs (standalone or in the all-in-one):
 * input records whose event time was clamped to the broker's time (an executor's clock off), records Streams
 * dropped (late beyond the grace, so in no aggregate) — what the {@code LateRecordsDropped} Prometheus rule alerts
 * on — and the spec's {@code speculation_accuracy_ratio}, one observation per closed speculation window of all
 * tools that had outcomes — plus the Kafka Streams client's own metrics ({@code kafka_stream_*}).
 */
public final class AnalyticsMeters {
    public static final String CLAMPED = "toolformer_analytics_event_time_clamped_total";
    public static final String DROPPED = "toolformer_analytics_dropped_records_total";
    public static final String SPECULATION_ACCURACY = "speculation_accuracy_ratio";
    /** The spec's buckets of {@code speculation_accuracy_ratio}. */
    static final double[] ACCURACY_BUCKETS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    /** The tool name of the windows over every tool. */
    private static final String ALL_TOOLS = "*";

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
        DistributionSummary accuracy = DistributionSummary.builder(SPECULATION_ACCURACY)
                .description("Speculation accuracy: hits / (hits + misses) of each closed one-minute window")
                .serviceLevelObjectives(ACCURACY_BUCKETS)
                .register(registry);
        analytics.onFinalSpeculationWindow(accuracyOf(accuracy));
        analytics.bindStreamsMetrics(registry);
    }

    /** Records the accuracy of each final window over all tools that had outcomes (hits or misses) in {@code summary}. */
    static Consumer<SpeculationWindow> accuracyOf(DistributionSummary summary) {
        return window -> {
            if (ALL_TOOLS.equals(window.getTool()) && window.getIsFinal()
                    && window.getHits() + window.getMisses() > 0) {
                summary.record(window.getAccuracy());
            }
        };
    }
}
