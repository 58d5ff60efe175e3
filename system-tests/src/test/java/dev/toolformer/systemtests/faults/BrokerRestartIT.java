package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stops (cleanly) in the middle of a load and comes back on the same data directory and port.
 * The services are not restarted: the producer, the executor and the analytics stream must ride it out,
 * and every request must end with exactly one counted result.
 */
@Tag("integration")
class BrokerRestartIT {
    private static final int REQUESTS = 2_000;

    @Test
    @Timeout(300)
    void shouldLoseNoRequestWhenBrokerRestartsMidLoad(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path brokerDir = dir.resolve("broker");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(brokerDir, port);
        try {
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            try (Admin admin = Admin.create(kafka.admin())) {
                TopicProvisioner.ensureTopics(admin, Topics.ALL, 6, (short) 1);
            }
            String provider = "restart_" + Long.toHexString(System.nanoTime());
            ExecutorConfig executorConfig = ExecutorConfig.builder("restart-executor").maxInFlight(500).build();
            try (FaultLedger ledger = new FaultLedger(kafka);
                 SloTally tally = new SloTally(kafka, "simulated", provider);
                 ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                         Pricing.defaults(), new SimpleMeterRegistry());
                 AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(dir.resolve("analytics")),
                         kafka);
                 ToolformerClient client = new ToolformerClient(kafka)) {
                executor.start();
                analytics.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> executor.isReady() && analytics.isRunning());

                List<CompletableFuture<?>> published = new ArrayList<>();
                for (int i = 0; i < REQUESTS; i++) {
                    if (i == REQUESTS / 3) {
                        // Mid-load: a third is published (most of it running or answered), the rest comes
                        // while the broker is down and after it is back.
                        broker.close();
                        Thread.sleep(3_000);
                        broker = EmbeddedKafkaBroker.start(brokerDir, port);
                    }
                    ToolRequest request = client.newRequest("simulated", "{\"latency_ms\":20}", Duration.ofMinutes(5))
                            .setProvider(provider).build();
                    ledger.sending(request.getRequestId());
                    published.add(client.publish(request).whenComplete((md, e) -> {
                        if (e != null) {
                            ledger.notSent(request.getRequestId());
                        }
                    }));
                    if (i % 100 == 99) {
                        Thread.sleep(100);
                    }
                }
                CompletableFuture.allOf(published.stream().map(f -> f.exceptionally(e -> null))
                        .toArray(CompletableFuture[]::new)).get();

                await().atMost(Duration.ofSeconds(180)).until(() -> ledger.answered() == ledger.sent());
                FaultLedger.Accounting accounting = ledger.accounting();
                System.out.println("BrokerRestartIT accounting: " + accounting);
                assertThat(accounting.sent()).as("publications the producer gave up on").isEqualTo(REQUESTS);
                assertThat(accounting.lost()).isZero();
                assertThat(accounting.deadLetters()).isZero();
                Map<String, ToolResult> results = ledger.firstResults();
                assertThat(results.values()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
                // Duplicates can only come from requests that were running when the broker went away.
                assertThat(accounting.duplicates()).isLessThanOrEqualTo(executorConfig.maxInFlight());
                // Analytics rode it out too: every distinct request counted once.
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                        assertThat(tally.requests()).isEqualTo(accounting.unique()));
                System.out.println("BrokerRestartIT analytics counted " + tally.requests() + " requests");
            }
        } finally {
            broker.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
