package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.analytics.internal.CostAccumulator;
import dev.toolformer.schema.CostWindow;
import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.TimestampedWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Turns a cost window's accumulator into the public {@link CostWindow}, keyed by
 * {@link CostAggregation#window}. Its baseline is the cost per request over the 24 complete hours before
 * the hour the window starts in, read from the one-hour windows' store: for a window starting at 12:37
 * (1m) or 12:00 (1h), the hours 12:00 the day before up to 11:00 included. No baseline (null trailing
 * cost and variance) when those hours had no requests or cost nothing.
 */
final class CostWindowEmitter implements Processor<Windowed<String>, CostAccumulator, String, CostWindow> {
    private final String label;
    private final boolean isFinal;
    private ProcessorContext<String, CostWindow> context;
    private TimestampedWindowStore<String, CostAccumulator> hours;

    CostWindowEmitter(String label, boolean isFinal) {
        this.label = label;
        this.isFinal = isFinal;
    }

    @Override
    public void init(ProcessorContext<String, CostWindow> context) {
        this.context = context;
        this.hours = context.getStateStore(AnalyticsTopology.COST_1H_STORE);
    }

    @Override
    public void process(Record<Windowed<String>, CostAccumulator> record) {
        if (record.value() == null) {
            return;
        }
        String group = record.key().key();
        Window window = record.key().window();
        CostWindow value = toCostWindow(group, label, window, record.value(), baseline(hours, group, window.start()),
                isFinal, context.currentSystemTimeMs());
        context.forward(record.withKey(CostAggregation.window(group, label, window.start())).withValue(value));
    }

    /** Requests and cost of {@code group} over the trailing 24 complete hours before {@code startMs}'s hour. */
    static CostAccumulator baseline(TimestampedWindowStore<String, CostAccumulator> hours, String group,
                                    long startMs) {
        CostAccumulator sum = CostAggregation.empty();
        try (WindowStoreIterator<ValueAndTimestamp<CostAccumulator>> it = hours.fetch(group,
                CostAggregation.baselineFirstHour(startMs), CostAggregation.baselineLastHour(startMs))) {
            while (it.hasNext()) {
                sum = CostAggregation.plus(sum, it.next().value.value());
            }
        }
        return sum;
    }

    static CostWindow toCostWindow(String group, String label, Window window, CostAccumulator acc,
                                   CostAccumulator baseline, boolean isFinal, long nowMs) {
        double cost = CostAggregation.usd(acc.getCostNanoUsd());
        double perRequest = acc.getRequests() == 0 ? 0 : cost / acc.getRequests();
        Double trailing = null;
        Double variance = null;
        if (baseline.getRequests() > 0 && baseline.getCostNanoUsd() > 0) {
            trailing = CostAggregation.usd(baseline.getCostNanoUsd()) / baseline.getRequests();
            variance = (perRequest - trailing) / trailing;
        }
        return CostWindow.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(window.start()))
                .setWindowEnd(Instant.ofEpochMilli(window.end()))
                .setWindowSize(label)
                .setProvider(CostAggregation.provider(group))
                .setModel(CostAggregation.model(group))
                .setRequests(acc.getRequests())
                .setInputTokens(acc.getInputTokens())
                .setOutputTokens(acc.getOutputTokens())
                .setCostUsd(cost)
                .setCostPerRequestUsd(perRequest)
                .setTrailingCostPerRequestUsd(trailing)
                .setVarianceRatio(variance)
                .setIsFinal(isFinal)
                .setEmittedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }
}
