package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.tools.SimulatedTool;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Crashes, rebalances and backpressure: no request is lost, duplicates stay bounded, memory stays bounded. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorRebalanceIT {
    private static final ToolRegistry TOOLS = ToolRegistry.of(List.of(new SimulatedTool()));

    private static List<ToolRequest> simulated(int count, int latencyMs) {
        List<ToolRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(request("simulated", "{\"latency_ms\":" + latencyMs + "}").setTimeoutMs(60_000).build());
        }
        return requests;
    }

    @Test
    @Timeout(90)
    void shouldLeaveNoRequestWithoutResultWhenInstanceCrashesWithoutCommitting(KafkaTestCluster cluster)
            throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ExecutorConfig first = harness.config("crash").maxInFlight(100).build();
            ToolExecutor doomed = harness.start(first, TOOLS, new SimpleMeterRegistry());
            ToolExecutor survivor = harness.start(ExecutorConfig.builder(first.executorId() + "-b")
                    .groupId(first.groupId()).maxInFlight(100).build(), TOOLS, new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(() -> doomed.isReady() && survivor.isReady());
            List<ToolRequest> requests = simulated(1_500, 200);
            List<String> ids = requests.stream().map(ToolRequest::getRequestId).toList();
            harness.send(requests);
            await().atMost(Duration.ofSeconds(30)).until(() -> doomed.stats().completed() >= 200);

            long uncommitted = doomed.crashForTest();

            await().atMost(Duration.ofSeconds(60)).until(() -> harness.answered(ids) == 1_500);
            assertThat(ids).allSatisfy(id -> assertThat(harness.results(id))
                    .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS)));
            assertThat(uncommitted).isPositive();
            assertThat(harness.duplicates(ids)).isLessThanOrEqualTo(uncommitted);
        }
    }

    @Test
    @Timeout(90)
    void shouldHandOverPartitionsWithoutDuplicatesWhenSecondInstanceJoins(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ExecutorConfig first = harness.config("join").maxInFlight(50).build();
            ToolExecutor early = harness.start(first, TOOLS, new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(early::isReady);
            List<ToolRequest> requests = simulated(1_000, 100);
            List<String> ids = requests.stream().map(ToolRequest::getRequestId).toList();
            harness.send(requests);
            await().atMost(Duration.ofSeconds(30)).until(() -> early.stats().completed() >= 100);

            ToolExecutor late = harness.start(ExecutorConfig.builder(first.executorId() + "-late")
                    .groupId(first.groupId()).maxInFlight(50).build(), TOOLS, new SimpleMeterRegistry());

            await().atMost(Duration.ofSeconds(60)).until(() -> harness.answered(ids) == 1_000);
            assertThat(late.stats().completed()).isPositive();
            assertThat(early.stats().completed() + late.stats().completed()).isEqualTo(1_000);
            assertThat(harness.duplicates(ids)).isZero();
        }
    }

    @Test
    @Timeout(90)
    void shouldBoundInFlightAndQueuedRecordsWhateverTheBacklog(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("backlog").maxInFlight(1_000).build(), TOOLS,
                    new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            // A backlog 100 times the in-flight limit, of calls far slower than the test.
            for (int batch = 0; batch < 10; batch++) {
                harness.send(simulated(10_000, 60_000));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> executor.stats().inFlight() == 1_000);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int maxQueued = 0;
            while (System.nanoTime() < deadline) {
                ExecutorStats stats = executor.stats();
                assertThat(stats.inFlight()).isLessThanOrEqualTo(1_000);
                maxQueued = Math.max(maxQueued, stats.queued());
                Thread.sleep(20);
            }
            ExecutorStats stats = executor.stats();
            assertThat(stats.peakInFlight()).isEqualTo(1_000);
            assertThat(stats.pausedPartitions()).isPositive();
            // In flight, plus at most one poll's worth per partition waiting to start.
            assertThat(maxQueued).isLessThanOrEqualTo(1_000 + 6 * 500);
        }
    }
}
