package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analytics service runs as its own process and is killed (SIGKILL) in the middle of a load, then
 * started again on the same state directory. Its aggregates must continue from where they were, exactly
 * once: the SLO windows count every distinct request once — no double counting, no gap.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class AnalyticsRestartIT {
    private static final int REQUESTS = 1_500;

    @Test
    @Timeout(360)
    void shouldCountEveryRequestOnceWhenAnalyticsIsKilledAndRestarted(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        String provider = cluster.uniqueName("analytics_kill").replace('-', '_');
        String applicationId = cluster.uniqueName("analytics-kill");
        String[] analyticsArgs = {"analytics", "--bootstrap-servers", kafka.bootstrapServers(),
                "--application-id", applicationId, "--data-dir", dir.resolve("analytics").toString(),
                "--http-port", "0",
                // The killed member leaves no goodbye: let the group notice within 10 s, not the default 45 s.
                "--kafka-property", "session.timeout.ms=10000"};
        ExecutorConfig executorConfig = ExecutorConfig.builder(cluster.uniqueName("executor"))
                .groupId(cluster.uniqueName("executor-group")).maxInFlight(200).build();
        try (FaultLedger ledger = new FaultLedger(kafka);
             SloTally tally = new SloTally(kafka, "simulated", provider);
             ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                     Pricing.defaults(), new SimpleMeterRegistry());
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            ServiceProcess first = ServiceProcess.start(dir.resolve("analytics-1.log"), analyticsArgs);
            ServiceProcess second = null;
            try {
                List<CompletableFuture<?>> published = new ArrayList<>();
                boolean killed = false;
                for (int i = 0; i < REQUESTS; i++) {
                    if (i == REQUESTS / 2) {
                        // Kill it once it has counted part of the load, with the rest still to come.
                        ServiceProcess running = first;
                        await().atMost(Duration.ofSeconds(120))
                                .failFast("analytics exited: " + running.output(), () -> !running.isAlive())
                                .until(() -> tally.requests() >= 100);
                        first.kill();
                        killed = true;
                        System.out.println("AnalyticsRestartIT killed analytics at " + tally.requests()
                                + " counted requests");
                        second = ServiceProcess.start(dir.resolve("analytics-2.log"), analyticsArgs);
                    }
                    ToolRequest request = client.newRequest("simulated", "{\"latency_ms\":10}", Duration.ofMinutes(5))
                            .setProvider(provider).build();
                    ledger.sending(request.getRequestId());
                    published.add(client.publish(request));
                    if (i % 50 == 49) {
                        Thread.sleep(100);
                    }
                }
                CompletableFuture.allOf(published.toArray(CompletableFuture[]::new)).get();
                assertThat(killed).isTrue();

                await().atMost(Duration.ofSeconds(120)).until(() -> ledger.answered() == REQUESTS);
                FaultLedger.Accounting accounting = ledger.accounting();
                System.out.println("AnalyticsRestartIT accounting: " + accounting);
                assertThat(accounting.lost()).isZero();
                assertThat(accounting.deadLetters()).isZero();
                ServiceProcess restarted = second;
                await().atMost(Duration.ofSeconds(180))
                        .failFast("restarted analytics exited: " + restarted.output(), () -> !restarted.isAlive())
                        .untilAsserted(() -> assertThat(tally.requests()).isEqualTo(accounting.unique()));
                // Stay a little longer: a double count would show as an overshoot after the match.
                Thread.sleep(5_000);
                assertThat(tally.requests()).as("requests counted by analytics").isEqualTo(accounting.unique());
                assertThat(tally.successes()).isEqualTo(accounting.unique());
                System.out.println("AnalyticsRestartIT analytics counted " + tally.requests() + " requests");
            } finally {
                first.close();
                if (second != null) {
                    second.close();
                }
            }
        }
    }
}
