package dev.toolformer.embedded.testing;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.common.kafka.KafkaSettings;

/** The Kafka cluster an integration test runs against, injected by {@link EmbeddedKafkaExtension}. */
public record KafkaTestCluster(KafkaSettings settings) {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    public KafkaTestCluster {
        Objects.requireNonNull(settings, "settings == null");
    }

    /** The {@code bootstrap.servers} value clients use. */
    public String bootstrapServers() {
        return settings.bootstrapServers();
    }

    /**
     * A name no other call returns, in this JVM or another one sharing an external cluster, for group
     * ids, application ids and scratch topics: {@code prefix-<sequence>-<random>}.
     */
    public String uniqueName(String prefix) {
        Objects.requireNonNull(prefix, "prefix == null");
        String random = UUID.randomUUID().toString().substring(0, 8);
        return prefix + "-" + SEQUENCE.incrementAndGet() + "-" + random;
    }
}
