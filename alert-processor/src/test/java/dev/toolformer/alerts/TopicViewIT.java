package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A view is supervised: started before its topic exists, it waits for it instead of ending up empty for ever. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class TopicViewIT {

    @Test
    @Timeout(90)
    void shouldFollowATopicCreatedAfterTheViewStarted(KafkaTestCluster cluster) throws Exception {
        String topic = cluster.uniqueName("late-topic");
        try (TopicView<String> view = new TopicView<>(cluster.settings(), topic,
                bytes -> new String(bytes, StandardCharsets.UTF_8), (k, v) -> true).start()) {
            Thread.sleep(3_000);
            assertThat(view.awaitCaughtUp(Duration.ZERO)).isFalse();

            try (Admin admin = Admin.create(cluster.settings().admin());
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("view-it"))) {
                admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
                producer.send(new ProducerRecord<>(topic, "key", "value".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> "value".equals(view.values().get("key")));
            assertThat(view.failure()).isEmpty();
        }
    }
}
