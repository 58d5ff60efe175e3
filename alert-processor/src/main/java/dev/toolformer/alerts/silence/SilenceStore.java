package dev.toolformer.alerts.silence;

import java.time.Instant;
import java.util.Map;

import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.schema.Silence;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global store of silences and acknowledgements: every instance holds all of {@code toolformer.silences},
 * so each sets {@code AlertEvent.silenced} and {@code acknowledged} the same way.
 */
public final class SilenceStore {
    public static final String NAME = "silences";
    private static final Logger LOG = LoggerFactory.getLogger(SilenceStore.class);

    private SilenceStore() {
    }

    /** Adds the global store; its source is the topic itself, so it needs no changelog. */
    public static void addTo(StreamsBuilder builder) {
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(NAME), Serdes.String(),
                        Silences.TOPIC.valueSerde()).withLoggingDisabled(),
                Silences.TOPIC.name(),
                // Bytes, not the Avro serde: a tombstone (an expired entry) must reach the updater as null.
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("silences-source"),
                () -> new Updater());
    }

    public static boolean silenced(KeyValueStore<String, Silence> store, Map<String, String> labels, Instant now) {
        try (KeyValueIterator<String, Silence> it = store.all()) {
            while (it.hasNext()) {
                if (Silences.silences(it.next().value, labels, now)) {
                    return true;
                }
            }
        }
        return false;
    }

    public static boolean acknowledged(KeyValueStore<String, Silence> store, String fingerprint, Instant activeSince,
                                Instant now) {
        Silence ack = store.get("ack:" + fingerprint);
        return ack != null && Silences.acknowledges(ack, fingerprint, activeSince, now);
    }

    /** Applies each record of the topic to the store. */
    private static final class Updater implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, Silence> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(NAME);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
                return;
            }
            try {
                store.put(record.key(), Silences.SERDE.decode(record.value()));
            } catch (DecodeException e) {
                // One bad entry must not stop the global thread, and with it every alert.
                LOG.warn("ignoring undecodable entry {} of {}: {}", record.key(), Silences.TOPIC.name(),
                        e.getMessage());
            }
        }
    }
}
