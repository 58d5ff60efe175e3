package dev.toolformer.systemtests.faults;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

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
        EmbeddedKafkaBroker[] restarting = {EmbeddedKafkaBroker.start(brokerDir, port)};
        try {
            KafkaSettings kafka = KafkaSettings.of(restarting[0].bootstrapServers());
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

                LoadUnderFault.run("BrokerRestartIT", client, ledger, tally, provider, REQUESTS,
                        executorConfig.maxInFlight(), () -> {
                            // Mid-load: a third is published (most of it running or answered), the rest comes
                            // while the broker is down and after it is back.
                            restarting[0].close();
                            Thread.sleep(3_000);
                            restarting[0] = EmbeddedKafkaBroker.start(brokerDir, port);
                        });
            }
        } finally {
            restarting[0].close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
