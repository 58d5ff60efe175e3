package dev.toolformer.analytics;

import java.time.Duration;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Passes on the first record of each id and drops the others, remembering ids for {@code retention} of
 * event time in a window store (changelogged, so exactly-once across restarts; old segments are dropped,
 * so the store stays bounded). A record is a duplicate if a record with its id was seen within
 * {@code retention} before or after it. A record older than the newest this processor has seen since it
 * started, minus {@code retention}, can no longer be checked and is dropped as too late; with the defaults
 * every window it could count in has closed anyway (the longest grace, the speculation windows' 11 min, is
 * shorter than the 1 h retention). Ids are deduplicated within a partition: the input must be partitioned
 * by id, as the results topic is by request_id.
 */
final class Deduplicator<V> implements FixedKeyProcessor<String, V, V> {
    private final String storeName;
    private final long retentionMs;
    private final Function<V, String> id;
    private FixedKeyProcessorContext<String, V> context;
    private WindowStore<String, Long> seen;
    private long newestMs = Long.MIN_VALUE;

    Deduplicator(String storeName, Duration retention, Function<V, String> id) {
        this.storeName = storeName;
        this.retentionMs = retention.toMillis();
        this.id = id;
    }

    /** The store of seen ids: each id with the event time it was first seen at. */
    static StoreBuilder<WindowStore<String, Long>> store(String name, Duration retention) {
        return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, retention, false),
                Serdes.String(), Serdes.Long());
    }

    @Override
    public void init(FixedKeyProcessorContext<String, V> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
    }

    @Override
    public void process(FixedKeyRecord<String, V> record) {
        if (record.value() == null) {
            return;
        }
        long timestamp = record.timestamp();
        newestMs = Math.max(newestMs, timestamp);
        if (timestamp < newestMs - retentionMs) {
            return;
        }
        String key = id.apply(record.value());
        try (WindowStoreIterator<Long> earlier = seen.fetch(key, timestamp - retentionMs, timestamp + retentionMs)) {
            if (earlier.hasNext()) {
                return;
            }
        }
        seen.put(key, timestamp, timestamp);
        context.forward(record);
    }
}
