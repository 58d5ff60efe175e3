package dev.toolformer.common.topic;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.toolformer.common.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One topic of the pipeline: its base name (a public contract), its String key, its Avro value type and
 * how it is kept. Instances live in {@link Topics}; code and tests take names and serdes from there.
 * {@link #name()} is the name on the broker: the base name in this process's {@link Namespace}.
 */
public record Topic<V extends SpecificRecord>(
        String baseName, String keyDescription, Class<V> valueType, CleanupPolicy cleanupPolicy, Duration retention,
        String purpose, boolean brokerTimestamps) {

    /** How the broker keeps the topic's records. */
    public enum CleanupPolicy {
        /** Records are deleted once older than the retention. */
        DELETE,
        /** The latest record per key is kept forever (the topic is a table). */
        COMPACT
    }

    /** A topic whose records keep their producers' timestamps (CreateTime). */
    public Topic(String baseName, String keyDescription, Class<V> valueType, CleanupPolicy cleanupPolicy,
                 Duration retention, String purpose) {
        this(baseName, keyDescription, valueType, cleanupPolicy, retention, purpose, false);
    }

    /**
     * The same topic with the broker's timestamps: created with {@code message.timestamp.type=LogAppendTime},
     * so its records' timestamps say when the broker appended them, whatever the producer's clock says.
     */
    public Topic<V> withBrokerTimestamps() {
        return new Topic<>(baseName, keyDescription, valueType, cleanupPolicy, retention, purpose, true);
    }

    public Topic {
        Objects.requireNonNull(baseName, "baseName == null");
        Objects.requireNonNull(keyDescription, "keyDescription == null");
        Objects.requireNonNull(valueType, "valueType == null");
        Objects.requireNonNull(cleanupPolicy, "cleanupPolicy == null");
        Objects.requireNonNull(retention, "retention == null");
        Objects.requireNonNull(purpose, "purpose == null");
    }

    /** The topic's name on the broker: {@link #baseName()} prefixed by this process's {@link Namespace}. */
    public String name() {
        return Namespace.qualify(baseName);
    }

    public Serde<String> keySerde() {
        return Serdes.String();
    }

    /** A serde for the value type that reads every shipped version of its schema. */
    public Serde<V> valueSerde() {
        return AvroSerde.of(valueType);
    }

    /** The broker-side configs this topic is created with. */
    public Map<String, String> configs() {
        Map<String, String> configs = new TreeMap<>(switch (cleanupPolicy) {
            case DELETE -> Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention.toMillis()));
            case COMPACT -> Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        });
        if (brokerTimestamps) {
            configs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        }
        return Map.copyOf(configs);
    }

    @Override
    public String toString() {
        return name();
    }
}
