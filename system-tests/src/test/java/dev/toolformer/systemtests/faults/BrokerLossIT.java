package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker.ClusterLayout;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-broker cluster, each broker its own process ({@code toolformer broker}), topics created with the
 * cluster's defaults (three replicas, so {@code min.insync.replicas=2}). Mid-load the broker leading the first
 * partition of {@code toolformer.requests} is killed with SIGKILL and stays dead: no request may be lost, every
 * one is answered, and analytics counts each exactly once.
 */
@Tag("integration")
class BrokerLossIT {
    private static final int REQUESTS = 2_000;

    @Test
    @Timeout(420)
    void shouldLoseNoRequestWhenTheLeaderBrokerIsKilledMidLoad(@TempDir Path dir) throws Exception {
        ClusterLayout layout = ClusterLayout.onFreePorts(3);
        List<ServiceProcess> brokers = new ArrayList<>();
        try {
            for (int node = 1; node <= layout.nodes(); node++) {
                brokers.add(ServiceProcess.start(dir.resolve("broker-" + node + ".log"), "broker",
                        "--node-id", String.valueOf(node), "--client-ports", csv(layout.clientPorts()),
                        "--controller-ports", csv(layout.controllerPorts()), "--cluster-id", layout.clusterId(),
                        "--data-dir", dir.resolve("broker-" + node).toString()));
            }
            KafkaSettings kafka = KafkaSettings.of(layout.bootstrapServers());
            try (Admin admin = Admin.create(kafka.admin())) {
                await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() ->
                        admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == 3);
                TopicProvisioner.ensureTopics(admin, Topics.ALL, 6, TopicProvisioner.CLUSTER_DEFAULT);
                TopicDescription requests = admin.describeTopics(List.of(Topics.REQUESTS.name()))
                        .allTopicNames().get().get(Topics.REQUESTS.name());
                assertThat(requests.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, Topics.REQUESTS.name());
                assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                        .get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value()).isEqualTo("2");
                runLoadAndKillTheLeader(kafka, admin, brokers, dir);
            }
        } finally {
            for (ServiceProcess broker : brokers) {
                broker.close();
            }
        }
    }

    private static void runLoadAndKillTheLeader(KafkaSettings kafka, Admin admin, List<ServiceProcess> brokers,
                                                Path dir) throws Exception {
        String provider = "loss_" + Long.toHexString(System.nanoTime());
        ExecutorConfig executorConfig = ExecutorConfig.builder("loss-executor").maxInFlight(500).build();
        try (FaultLedger ledger = new FaultLedger(kafka);
             SloTally tally = new SloTally(kafka, "simulated", provider);
             ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                     Pricing.defaults(), new SimpleMeterRegistry());
             AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(dir.resolve("analytics")),
                     kafka);
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            analytics.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> executor.isReady() && analytics.isRunning());

            LoadUnderFault.run("BrokerLossIT", client, ledger, tally, provider, REQUESTS,
                    executorConfig.maxInFlight(), () -> {
                        int leader = admin.describeTopics(List.of(Topics.REQUESTS.name())).allTopicNames().get()
                                .get(Topics.REQUESTS.name()).partitions().getFirst().leader().id();
                        System.out.println("BrokerLossIT: killing broker " + leader + ", leader of "
                                + Topics.REQUESTS.name() + "-0");
                        brokers.get(leader - 1).kill();
                    });
        }
    }

    private static String csv(List<Integer> ports) {
        return String.join(",", ports.stream().map(String::valueOf).toList());
    }
}
