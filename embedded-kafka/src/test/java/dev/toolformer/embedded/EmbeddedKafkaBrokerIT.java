package dev.toolformer.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ToolRequest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EmbeddedKafkaBrokerIT {
    private static final AvroSerde<ToolRequest> SERDE = AvroSerde.of(ToolRequest.class);

    @TempDir
    Path dataDir;

    @Test
    void shouldKeepTopicsAndRecordsAcrossRestartOnTheSameDirectory() throws Exception {
        ToolRequest request = ToolRequest.newBuilder()
                .setRequestId("req-restart")
                .setCorrelationId("corr-restart")
                .setTool("echo")
                .setArgumentsJson("{\"text\":\"hi\"}")
                .setTimeoutMs(5_000L)
                .setSubmittedAt(Instant.parse("2025-03-01T12:00:00.123Z"))
                .build();
        List<String> names = Topics.ALL.stream().map(Topic::name).toList();
        RecordMetadata sent;

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            try (Admin admin = Admin.create(settings.admin())) {
                assertThat(TopicProvisioner.ensureTopics(admin, Topics.ALL, 6, (short) 1))
                        .containsExactlyInAnyOrderElementsOf(names);
                assertThat(TopicProvisioner.ensureTopics(admin, Topics.ALL, 6, (short) 1)).isEmpty();
                assertThat(partitionCount(admin, Topics.REQUESTS.name())).isEqualTo(6);
                assertThat(cleanupPolicy(admin, Topics.HEALTH.name())).isEqualTo("compact");
            }
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producer("broker-it"))) {
                sent = producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), request.getRequestId(),
                        SERDE.encode(request))).get(30, TimeUnit.SECONDS);
            }
            assertThat(consumeOne(settings, sent)).isEqualTo(request);
        }

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.start(dataDir, 0)) {
            KafkaSettings settings = KafkaSettings.of(restarted.bootstrapServers());
            try (Admin admin = Admin.create(settings.admin())) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(names);
                assertThat(TopicProvisioner.ensureTopics(admin, Topics.ALL, 6, (short) 1)).isEmpty();
            }
            assertThat(consumeOne(settings, sent)).isEqualTo(request);
        }
    }

    /** Reads the one record of {@code sent}'s partition from the beginning, without a consumer group. */
    private static ToolRequest consumeOne(KafkaSettings settings, RecordMetadata sent) {
        TopicPartition partition = new TopicPartition(sent.topic(), sent.partition());
        List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer(null, "broker-it"))) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(received::add);
            }
        }
        assertThat(received).hasSize(1);
        ConsumerRecord<String, byte[]> record = received.get(0);
        assertThat(record.key()).isEqualTo("req-restart");
        assertThat(record.offset()).isEqualTo(sent.offset());
        return SERDE.decode(record.value());
    }

    private static int partitionCount(Admin admin, String topic) throws Exception {
        Map<String, TopicDescription> descriptions =
                admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
        return descriptions.get(topic).partitions().size();
    }

    private static String cleanupPolicy(Admin admin, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(Set.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        return config.get("cleanup.policy").value();
    }
}
