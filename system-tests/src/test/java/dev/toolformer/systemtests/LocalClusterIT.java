package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.server.Pipeline;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code toolformer up --brokers 3}: the all-in-one on an embedded three-node cluster, its topics created with the
 * cluster's default replication (three replicas, two in sync), answering requests.
 */
@Tag("integration")
class LocalClusterIT {
    @Test
    @Timeout(240)
    void shouldRunThePipelineOnThreeReplicatingBrokers(@TempDir Path data) throws Exception {
        Pipeline.Options options = new Pipeline.Options(null, data, 0, "127.0.0.1", 0, 6,
                TopicProvisioner.CLUSTER_DEFAULT, Duration.ofSeconds(5), null).withBrokers(3);
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka());
             Admin admin = Admin.create(pipeline.kafka().admin())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(120))).isTrue();
            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).hasSize(3);
            for (String topic : List.of(Topics.REQUESTS.name(), Topics.RESULTS.name())) {
                TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                assertThat(description.partitions()).as(topic).allSatisfy(p -> {
                    assertThat(p.replicas()).hasSize(3);
                    assertThat(p.isr()).hasSize(3);
                });
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                        .get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value()).as(topic).isEqualTo("2");
            }
            assertThat(client.submit(client.newRequest("echo", "{}", Duration.ofSeconds(10)).build(),
                    Duration.ofSeconds(60)).get().getStatus()).isEqualTo(ToolStatus.SUCCESS);
        }
    }
}
