package dev.toolformer.analytics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.analytics.internal.SloMinute;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.schema.BurnRate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Keeps the global ({@code *|*}) SLO windows' counts as buckets keyed by window start, and every minute
 * of wall-clock time publishes both SLOs' burn rates ({@link BurnRates}) keyed by SLO name. Each window
 * update overwrites its bucket, so a bucket always holds what the window's latest {@code SloWindow}
 * says: burn rates count exactly what the global SLO windows count, late results within grace included.
 * Wall-clock time, so that burn rates fall back when results stop flowing and alerts can resolve. Only
 * the task that owns the global group has buckets; the others publish nothing (nor does any before the
 * first result). Buckets older than the
 * 30-day budget window are deleted.
 */
final class BurnRateProcessor implements Processor<Windowed<String>, SloAccumulator, String, BurnRate> {
    static final Duration INTERVAL = Duration.ofMinutes(1);

    private final long bucketMs;
    private final double availabilityObjective;
    private final double latencyObjective;
    private ProcessorContext<String, BurnRate> context;
    private KeyValueStore<Long, SloMinute> buckets;
    private KeyValueStore<String, BurnRate> latest;

    BurnRateProcessor(AnalyticsConfig config) {
        this.bucketMs = config.windowSize().toMillis();
        this.availabilityObjective = config.availabilityObjective();
        this.latencyObjective = config.latencyObjective();
    }

    static StoreBuilder<KeyValueStore<Long, SloMinute>> bucketStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AnalyticsTopology.BURN_BUCKETS_STORE),
                Serdes.Long(), AvroSerde.of(SloMinute.class));
    }

    static StoreBuilder<KeyValueStore<String, BurnRate>> latestStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AnalyticsTopology.BURN_RATES_STORE),
                Serdes.String(), AvroSerde.of(BurnRate.class));
    }

    @Override
    public void init(ProcessorContext<String, BurnRate> context) {
        this.context = context;
        this.buckets = context.getStateStore(AnalyticsTopology.BURN_BUCKETS_STORE);
        this.latest = context.getStateStore(AnalyticsTopology.BURN_RATES_STORE);
        context.schedule(INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::publish);
    }

    @Override
    public void process(Record<Windowed<String>, SloAccumulator> record) {
        SloAccumulator acc = record.value();
        if (acc == null || !SloKeys.GLOBAL.equals(record.key().key())) {
            return;
        }
        buckets.put(record.key().window().start(), SloMinute.newBuilder()
                .setRequests(SloAggregation.eligible(acc))
                .setErrors(SloAggregation.unavailable(acc))
                .setSlow(SloAggregation.latencyBad(acc))
                .build());
    }

    /** Publishes the burn rates as of {@code nowMs}: lookbacks end at the start of the current bucket. */
    void publish(long nowMs) {
        long endMs = Math.floorDiv(nowMs, bucketMs) * bucketMs;
        long budgetStartMs = endMs - BurnRates.BUDGET_WINDOW.toMillis();
        prune(budgetStartMs);
        if (!ownsGlobalGroup()) {
            return;
        }
        BurnRates sums;
        try (KeyValueIterator<Long, SloMinute> window = buckets.range(Math.max(0, budgetStartMs), endMs - 1)) {
            sums = BurnRates.sum(window, endMs);
        }
        for (BurnRate burnRate : List.of(sums.availability(availabilityObjective, nowMs),
                sums.latency(latencyObjective, nowMs))) {
            latest.put(burnRate.getSlo(), burnRate);
            context.forward(new Record<>(burnRate.getSlo(), burnRate, nowMs));
        }
    }

    /** Whether this task has ever counted the global group: it has buckets, or has published before. */
    private boolean ownsGlobalGroup() {
        try (KeyValueIterator<Long, SloMinute> anyBucket = buckets.all();
             KeyValueIterator<String, BurnRate> anyPublished = latest.all()) {
            return anyBucket.hasNext() || anyPublished.hasNext();
        }
    }

    private void prune(long budgetStartMs) {
        if (budgetStartMs <= 0) {
            return;
        }
        List<Long> expired = new ArrayList<>();
        try (KeyValueIterator<Long, SloMinute> old = buckets.range(0L, budgetStartMs - 1)) {
            old.forEachRemaining((KeyValue<Long, SloMinute> kv) -> expired.add(kv.key));
        }
        expired.forEach(buckets::delete);
    }
}
