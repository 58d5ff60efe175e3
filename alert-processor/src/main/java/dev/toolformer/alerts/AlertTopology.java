package dev.toolformer.alerts;

import java.util.List;
import java.util.Locale;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.Source;
import dev.toolformer.alerts.silence.SilenceStore;
import dev.toolformer.common.topic.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * The alert processor's Kafka Streams topology: aggregate records in, alert transitions out. Each
 * source topic that has rules gets its own branch and state store; sources without rules are not read.
 */
public final class AlertTopology {

    private AlertTopology() {
    }

    /**
     * Reads the sources of {@code config}'s rules and the global store of silences, writes
     * toolformer.alerts; alert state in the changelogged stores {@code alert-state-<source>}.
     */
    public static Topology build(AlertConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        SilenceStore.addTo(builder);
        for (Source source : Source.values()) {
            List<AlertRule> rules = config.rules().rules().stream().filter(r -> r.sourceKind() == source).toList();
            if (!rules.isEmpty()) {
                addSource(builder, source, rules, config);
            }
        }
        return builder.build();
    }

    @SuppressWarnings("unchecked")
    private static void addSource(StreamsBuilder builder, Source source, List<AlertRule> rules, AlertConfig config) {
        String name = source.name().toLowerCase(Locale.ROOT).replace('_', '-');
        Serde<SpecificRecord> values = (Serde<SpecificRecord>) source.topic().valueSerde();
        builder.stream(source.topic().name(), Consumed.with(Serdes.String(), tombstonesAsNull(values))
                        .withName(name + "-source"))
                // A compacted source may carry tombstones: one that names its series (an executor forgotten by
                // analytics) ends that series' alerts; others carry nothing to evaluate.
                .filter((key, value) -> value != null || key != null && source.labelsOfKey(key).isPresent(),
                        Named.as(name + "-drop-tombstones"))
                // The input key may include a window start, but alert state is per series: every record of
                // one label set must reach the same task, whatever the number of instances.
                .selectKey((key, value) -> String.join("|", (value != null ? source.labels(value)
                                : source.labelsOfKey(key).orElseThrow()).values()), Named.as(name + "-key-by-labels"))
                .repartition(Repartitioned.with(Serdes.String(), tombstonesAsNull(values))
                        .withName(name + "-by-labels"))
                // Rules → lifecycle transitions, keyed by fingerprint.
                .process(AlertEvaluator.supplier(source, rules, config.punctuateInterval()),
                        Named.as(name + "-evaluate"))
                .to(Topics.ALERTS.name(), Produced.with(Topics.ALERTS.keySerde(), Topics.ALERTS.valueSerde())
                        .withName(name + "-alerts-sink"));
    }

    /** {@code serde}, with a null value (a tombstone) passed through as null both ways. */
    private static <T> Serde<T> tombstonesAsNull(Serde<T> serde) {
        Deserializer<T> inner = serde.deserializer();
        Serializer<T> writer = serde.serializer();
        Deserializer<T> tolerant = (topic, bytes) -> bytes == null ? null : inner.deserialize(topic, bytes);
        Serializer<T> nulls = (topic, value) -> value == null ? null : writer.serialize(topic, value);
        return Serdes.serdeFrom(nulls, tolerant);
    }
}
