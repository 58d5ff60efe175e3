package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two executor processes share the group; one is killed (SIGKILL: no commit, no drain, no goodbye) in the
 * middle of a load. Every request still gets its final result; the re-runs are counted and bounded by the
 * killed instance's in-flight window; analytics, deduplicating by request id, counts each request once.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorKillIT {
    private static final int REQUESTS = 1_500;
    private static final int MAX_IN_FLIGHT = 100;

    @Test
    @Timeout(300)
    void shouldAnswerEveryRequestWhenAnExecutorIsKilledMidLoad(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        String provider = cluster.uniqueName("executor_kill").replace('-', '_');
        String group = cluster.uniqueName("executor-kill-group");
        try (FaultLedger ledger = new FaultLedger(kafka);
             SloTally tally = new SloTally(kafka, "simulated", provider);
             AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(dir.resolve("analytics"))
                     .withApplicationId(cluster.uniqueName("analytics")), kafka);
             ServiceProcess doomed = executor(kafka, group, "doomed", dir);
             ServiceProcess survivor = executor(kafka, group, "survivor", dir);
             ToolformerClient client = new ToolformerClient(kafka)) {
            analytics.start();
            // Both instances in the group before the load: a member joining mid-load makes the group rebalance,
            // and commits fail while it does, which would stretch the dead instance's uncommitted window.
            awaitMembers(kafka, group, 2);
            List<CompletableFuture<?>> published = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                ToolRequest request = client.newRequest("simulated", "{\"latency_ms\":200}", Duration.ofMinutes(5))
                        .setProvider(provider).build();
                ledger.sending(request.getRequestId());
                ids.add(request.getRequestId());
                published.add(client.publish(request));
            }
            CompletableFuture.allOf(published.toArray(CompletableFuture[]::new)).get();
            // Both instances are working through the backlog when one of them dies.
            await().atMost(Duration.ofSeconds(120))
                    .failFast("an executor exited: " + doomed.output() + survivor.output(),
                            () -> !doomed.isAlive() || !survivor.isAlive())
                    .until(() -> ledger.answered() >= REQUESTS / 4);
            doomed.kill();
            System.out.println("ExecutorKillIT killed an executor at " + ledger.answered() + " answered requests");

            await().atMost(Duration.ofSeconds(180))
                    .failFast("the surviving executor exited: " + survivor.output(), () -> !survivor.isAlive())
                    .until(() -> ledger.answered() == REQUESTS);
            FaultLedger.Accounting accounting = ledger.accounting();
            System.out.println("ExecutorKillIT accounting: " + accounting);
            assertThat(accounting.lost()).isZero();
            assertThat(accounting.deadLetters()).isZero();
            assertThat(ledger.firstResults().values())
                    .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
            // Re-runs are the records the dead instance had taken but not committed: at most its max-in-flight
            // running, plus what it finished since its last commit (it commits every 500 ms; at 200 ms a call
            // and 100 in flight that is at most 250).
            assertThat(accounting.duplicates()).as("re-run requests")
                    .isLessThanOrEqualTo(MAX_IN_FLIGHT + MAX_IN_FLIGHT * 500 / 200);
            await().atMost(Duration.ofSeconds(120))
                    .untilAsserted(() -> assertThat(tally.requests()).isEqualTo(REQUESTS));
            Thread.sleep(5_000);
            assertThat(tally.requests()).as("requests counted by analytics").isEqualTo(REQUESTS);
        }
    }

    private static void awaitMembers(KafkaSettings kafka, String group, int members) {
        try (Admin admin = Admin.create(kafka.admin())) {
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                ConsumerGroupDescription d;
                try {
                    d = admin.describeConsumerGroups(List.of(Namespace.qualify(group))).all().get()
                            .get(Namespace.qualify(group));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof GroupIdNotFoundException) {
                        return false; // no member has joined yet
                    }
                    throw e;
                }
                return d.groupState() == GroupState.STABLE && d.members().size() == members
                        && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            });
        }
    }

    private static ServiceProcess executor(KafkaSettings kafka, String group, String name, Path dir)
            throws Exception {
        return ServiceProcess.start(dir.resolve(name + ".log"), "executor",
                "--bootstrap-servers", kafka.bootstrapServers(), "--group-id", group, "--executor-id", name,
                "--max-in-flight", String.valueOf(MAX_IN_FLIGHT), "--http-port", "0",
                "--data-dir", dir.resolve(name).toString(),
                // The killed member leaves no goodbye: let the group notice within 10 s, not the default 45 s.
                "--kafka-property", "session.timeout.ms=10000");
    }
}
