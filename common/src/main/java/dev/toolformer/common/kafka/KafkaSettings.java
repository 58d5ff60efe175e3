package dev.toolformer.common.kafka;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.toolformer.common.deadletter.DeadLetterExceptionHandler;
import dev.toolformer.common.deadletter.ProcessingDeadLetterHandler;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.tracing.Tracing;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * How every service talks to Kafka: the bootstrap servers plus client overrides (security settings
 * for a production cluster, for instance), and the defaults the pipeline relies on.
 * Keys are Strings; values are raw bytes decoded by {@code AvroSerde} in our own code, so that an
 * undecodable record can reach the dead-letter topic instead of failing the poll. {@link #toString()}
 * masks secrets (passwords, {@code sasl.jaas.config}), so settings can be logged.
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> overrides) {
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password\\s*=\\s*\"([^\"]*)\"");

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers == null");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers is empty: expected host:port[,host:port...]");
        }
        overrides = Map.copyOf(overrides);
        overrides.forEach(KafkaSettings::rememberSecret);
    }

    /** Client passwords (ssl.*.password, the JAAS password) are masked wherever they might show up. */
    private static void rememberSecret(String key, String value) {
        if (key.equals("sasl.jaas.config")) {
            Matcher password = JAAS_PASSWORD.matcher(value);
            while (password.find()) {
                Redactor.addKnownSecret(password.group(1));
            }
        } else if (Redactor.isSecretName(key)) {
            Redactor.addKnownSecret(value);
        }
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, Map.of());
    }

    /** These settings with the client property {@code key} set to {@code value}, replacing any given before. */
    public KafkaSettings withOverride(String key, String value) {
        Map<String, String> merged = new LinkedHashMap<>(overrides);
        merged.put(key, value);
        return new KafkaSettings(bootstrapServers, merged);
    }

    /** Admin client properties. */
    public Map<String, Object> admin() {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(overrides);
        return p;
    }

    /** An idempotent producer of String keys and byte[] values, acks=all, linger 5 ms. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putAll(overrides);
        return p;
    }

    /**
     * A consumer of String keys and byte[] values with manual commits, read_committed; its group id, if any,
     * in this process's {@link Namespace}.
     */
    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        if (groupId != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, Namespace.qualify(groupId));
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.putAll(overrides);
        return p;
    }

    /**
     * Kafka Streams properties: exactly-once v2, state under {@code stateDir}, the application id in this
     * process's {@link Namespace} (so are its internal topics, which Streams names after it).
     */
    public Properties streams(String applicationId, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, Namespace.qualify(applicationId));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        // Undecodable input goes to toolformer.dlq with its reason; the stream goes on.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class.getName());
        // So does a record that decodes but makes a processor throw: one bad record must not stop the app.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        // Global stores too (the alert processor's silences), as Kafka Streams 5.0 will by default.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Streams 4.4 rebuilds a StreamsConfig from the main consumer's settings for its partition assignor, which
        // lack the key above, and warns again that it is unset: the prefixed copy reaches that config too.
        p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        // Each record read is a process span in its producer's trace (OpenTelemetry's Kafka instrumentation).
        p.putAll(Tracing.streamsInterceptors());
        p.putAll(overrides);
        return p;
    }

    /** The settings with every secret masked: {@code sasl.jaas.config}, passwords, private keys. */
    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        overrides.forEach((key, value) -> shown.put(key, Redactor.isSecretName(key) ? Redactor.MASK : Redactor.redact(value)));
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", overrides=" + shown + "]";
    }
}
