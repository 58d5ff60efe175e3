package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The executor reports itself stalled while its poll loop hangs, and live again once it comes round. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorLivenessIT {

    @Test
    void shouldReportAHungPollLoopAfterTheLivenessTimeoutAndRecoverWhenItMovesAgain(KafkaTestCluster cluster) {
        String id = cluster.uniqueName("liveness");
        ExecutorConfig config = ExecutorConfig.builder(id).groupId(cluster.uniqueName("group"))
                .livenessTimeout(Duration.ofSeconds(2)).build();
        try (ToolExecutor executor = new ToolExecutor(config, cluster.settings(), ToolRegistry.discover(),
                Pricing.defaults(), new SimpleMeterRegistry())) {
            assertThat(executor.stalled()).as("before start").isEmpty();
            executor.start();
            await().atMost(Duration.ofSeconds(60)).until(executor::isReady);
            // Idle, with nothing to read, the loop still comes round: idle is not stuck.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> executor.stalled().isEmpty());

            CountDownLatch release = new CountDownLatch(1);
            executor.stallPollLoopForTest(release);

            await().atMost(Duration.ofSeconds(20)).until(() -> executor.stalled().isPresent());
            assertThat(executor.stalled().orElseThrow()).matches("the poll loop of executor " + id
                    + " has made no progress for \\d+ s \\(executor.liveness-timeout 2 s\\)");

            release.countDown();
            await().atMost(Duration.ofSeconds(20)).until(() -> executor.stalled().equals(Optional.empty()));
        }
    }
}
