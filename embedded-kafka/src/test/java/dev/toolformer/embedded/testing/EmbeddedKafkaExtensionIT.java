package dev.toolformer.embedded.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ToolRequest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(EmbeddedKafkaExtension.class)
class EmbeddedKafkaExtensionIT {
    private static KafkaTestCluster firstInjected;

    @Test
    void shouldInjectClusterWithEveryRegistryTopic(KafkaTestCluster cluster) throws Exception {
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                    .containsAll(Topics.ALL.stream().map(Topic::name).toList());
        }
        assertThat(cluster.settings().bootstrapServers()).isEqualTo(cluster.bootstrapServers());
        sameClusterAsOtherTests(cluster);
    }

    @Test
    void shouldConsumeWhatWasProducedWithUniqueGroup(KafkaTestCluster cluster) throws Exception {
        String requestId = cluster.uniqueName("req");
        ToolRequest request = ToolRequest.newBuilder()
                .setRequestId(requestId)
                .setCorrelationId("corr")
                .setTool("echo")
                .setArgumentsJson("{}")
                .setTimeoutMs(1_000L)
                .setSubmittedAt(Instant.parse("2025-03-01T12:00:00Z"))
                .build();
        AvroSerde<ToolRequest> serde = AvroSerde.of(ToolRequest.class);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("extension-it"))) {
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), requestId, serde.encode(request)))
                    .get(30, TimeUnit.SECONDS);
        }

        String group = cluster.uniqueName("extension-it");
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(cluster.settings().consumer(group, "extension-it"))) {
            consumer.subscribe(List.of(Topics.REQUESTS.name()));
            // Other tests share the topic: wait for this test's own record among theirs.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key().equals(requestId)) {
                        assertThat(serde.decode(record.value())).isEqualTo(request);
                        return true;
                    }
                }
                return false;
            });
        }
        sameClusterAsOtherTests(cluster);
    }

    @Test
    void shouldGiveTheClassANamespaceOfItsOwnWithEmptyTopicsDeletedAfterTheClass(KafkaTestCluster cluster)
            throws Exception {
        String namespace = Namespace.prefix();
        assertThat(namespace).matches("toolformer-it\\d+-[0-9a-f]{6}-");
        assertThat(Topics.HEALTH.name()).isEqualTo(namespace + "toolformer.health");
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> earlierClasses = names.stream().filter(n -> n.startsWith("toolformer-it")
                    && n.endsWith("toolformer.health") && !n.startsWith(namespace)).toList();
            assertThat(earlierClasses).as("an earlier class's topics, deleted after it").isEmpty();
            // Written to by no one yet: the health topic is compacted and written by analytics only.
            assertThat(admin.listOffsets(Map.of(new TopicPartition(Topics.HEALTH.name(), 0), OffsetSpec.latest()))
                    .all().get(30, TimeUnit.SECONDS).values()).allSatisfy(o -> assertThat(o.offset()).isZero());
        }
        sameClusterAsOtherTests(cluster);
    }

    @Test
    void shouldHandOutDistinctPrefixedNames(KafkaTestCluster cluster) {
        String first = cluster.uniqueName("group");
        String second = cluster.uniqueName("group");

        assertThat(first).startsWith("group-").isNotEqualTo(second);
        assertThat(second).startsWith("group-");
        sameClusterAsOtherTests(cluster);
    }

    private static synchronized void sameClusterAsOtherTests(KafkaTestCluster cluster) {
        if (firstInjected == null) {
            firstInjected = cluster;
        }
        assertThat(cluster).isSameAs(firstInjected);
    }
}
