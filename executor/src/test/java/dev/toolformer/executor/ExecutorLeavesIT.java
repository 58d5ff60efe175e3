package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.ExecutorState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An executor that stops cleanly says so on toolformer.heartbeats; one that crashes does not. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorLeavesIT {
    private static final AvroSerde<ExecutorHeartbeat> HEARTBEATS = AvroSerde.of(ExecutorHeartbeat.class);

    @Test
    void shouldAnnounceACleanStopWithALastHeartbeatInStateLeft(KafkaTestCluster cluster) throws Exception {
        String id = cluster.uniqueName("leaving");
        List<ExecutorHeartbeat> seen = new CopyOnWriteArrayList<>();
        try (TopicTail tail = heartbeats(cluster, id, seen)) {
            ToolExecutor executor = startedAndHeard(cluster, id, seen);

            executor.close(Duration.ofSeconds(5));

            await().atMost(Duration.ofSeconds(30)).until(() -> seen.getLast().getState() == ExecutorState.LEFT);
            assertThat(seen.subList(0, seen.size() - 1)).extracting(ExecutorHeartbeat::getState)
                    .containsOnly(ExecutorState.RUNNING);
        }
    }

    @Test
    void shouldNotAnnounceLeavingWhenItDiesWithoutAWord(KafkaTestCluster cluster) throws Exception {
        String id = cluster.uniqueName("crashing");
        List<ExecutorHeartbeat> seen = new CopyOnWriteArrayList<>();
        try (TopicTail tail = heartbeats(cluster, id, seen)) {
            ToolExecutor executor = startedAndHeard(cluster, id, seen);

            executor.crashForTest();
            Thread.sleep(2_000);

            assertThat(seen).extracting(ExecutorHeartbeat::getState).containsOnly(ExecutorState.RUNNING);
        }
    }

    /** An executor of id {@code id}, started, ready, and whose first heartbeat {@code seen} holds. */
    private static ToolExecutor startedAndHeard(KafkaTestCluster cluster, String id, List<ExecutorHeartbeat> seen) {
        ToolExecutor executor = executor(cluster, id);
        executor.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> executor.isReady() && !seen.isEmpty());
        return executor;
    }

    private static ToolExecutor executor(KafkaTestCluster cluster, String id) {
        ExecutorConfig config = ExecutorConfig.builder(id).groupId(cluster.uniqueName("group"))
                .heartbeatInterval(Duration.ofMillis(200)).build();
        return new ToolExecutor(config, cluster.settings(), ToolRegistry.discover(), Pricing.defaults(),
                new SimpleMeterRegistry());
    }

    private static TopicTail heartbeats(KafkaTestCluster cluster, String id, List<ExecutorHeartbeat> seen) {
        return new TopicTail(cluster.settings(), List.of(Topics.HEARTBEATS), r -> {
            if (id.equals(r.key())) {
                seen.add(HEARTBEATS.decode(r.value()));
            }
        });
    }
}
