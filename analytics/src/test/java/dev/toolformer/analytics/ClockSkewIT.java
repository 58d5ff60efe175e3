package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.HealthState;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executors whose clocks are wrong, on a real broker whose results and heartbeats topics carry the broker's
 * append time: one an hour ahead does not make everyone else's results late, one ten minutes behind is not
 * marked DOWN. On a broker of its own: its results are stamped now, which would make the back-dated results
 * of later tests on the shared broker late for any analytics app that reads the topic from the start.
 */
@Tag("integration")
class ClockSkewIT {
    private static Path brokerDir;
    private static EmbeddedKafkaBroker broker;
    private static KafkaTestCluster cluster;

    @BeforeAll
    static void startOwnBroker() throws Exception {
        brokerDir = Files.createTempDirectory("toolformer-skew-kafka-");
        broker = EmbeddedKafkaBroker.start(brokerDir, 0);
        cluster = new KafkaTestCluster(KafkaSettings.of(broker.bootstrapServers()));
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            TopicProvisioner.ensureTopics(admin, Topics.ALL, 3, (short) 1);
        }
    }

    @AfterAll
    static void stopOwnBroker() throws IOException {
        if (broker != null) {
            broker.close();
        }
        try (Stream<Path> paths = Files.walk(brokerDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Timeout(180)
    void shouldCountEveryonesResultsWhenOneExecutorsClockIsAnHourAhead(@TempDir Path dir)
            throws Exception {
        String provider = cluster.uniqueName("skewed");
        AnalyticsConfig config = AnalyticsConfig.defaults(dir).withApplicationId(cluster.uniqueName("skew-results"));
        Map<Instant, Long> requestsByWindow = new ConcurrentHashMap<>();
        try (AnalyticsService analytics = new AnalyticsService(config, cluster.settings());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("skew-it"));
             KafkaConsumer<String, byte[]> slo = reader(Topics.SLO.name())) {
            analytics.start();
            await().atMost(Duration.ofSeconds(60)).until(analytics::isRunning);

            Instant now = Instant.now();
            for (int i = 0; i < 5; i++) {
                send(producer, result(provider, now.plus(Duration.ofHours(1))));
            }
            Thread.sleep(2_000);
            for (int i = 0; i < 5; i++) {
                send(producer, result(provider, Instant.now()));
            }

            // Updates are emitted: the latest record of each window holds its count so far.
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : slo.poll(Duration.ofMillis(200))) {
                    SloWindow window = AvroSerde.of(SloWindow.class).decode(r.value());
                    if (window.getProvider().equals(provider) && window.getTool().equals("echo")) {
                        requestsByWindow.merge(window.getWindowStart(), window.getRequests(), Math::max);
                    }
                }
                return requestsByWindow.entrySet().stream()
                        .filter(e -> e.getKey().isBefore(now.plus(Duration.ofMinutes(5))))
                        .mapToLong(Map.Entry::getValue).sum() == 10;
            });
            assertThat(requestsByWindow.keySet()).allSatisfy(start ->
                    assertThat(start).isBefore(now.plus(Duration.ofMinutes(5))));
            assertThat(analytics.clampedRecords()).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    @Timeout(120)
    void shouldNotMarkDownAnExecutorWhoseClockIsTenMinutesBehind(@TempDir Path dir)
            throws Exception {
        String executor = cluster.uniqueName("behind");
        AnalyticsConfig config = AnalyticsConfig.defaults(dir).withApplicationId(cluster.uniqueName("skew-health"));
        List<HealthState> states = new ArrayList<>();
        try (AnalyticsService analytics = new AnalyticsService(config, cluster.settings());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("skew-it"));
             KafkaConsumer<String, byte[]> health = reader(Topics.HEALTH.name())) {
            analytics.start();
            await().atMost(Duration.ofSeconds(60)).until(analytics::isRunning);

            for (int i = 0; i < 5; i++) {
                Instant behind = Instant.now().minus(Duration.ofMinutes(10));
                ExecutorHeartbeat heartbeat = ExecutorHeartbeat.newBuilder().setExecutorId(executor).setSentAt(behind)
                        .setStartedAt(behind.minusSeconds(60)).setHeapUsedBytes(1).setHeapMaxBytes(2).setCpuPercent(1)
                        .setInFlight(0).setMaxInFlight(10).build();
                producer.send(new ProducerRecord<>(Topics.HEARTBEATS.name(), executor,
                        AvroSerde.of(ExecutorHeartbeat.class).encode(heartbeat))).get(30, TimeUnit.SECONDS);
                Thread.sleep(500);
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : health.poll(Duration.ofMillis(200))) {
                    if (executor.equals(r.key()) && r.value() != null) {
                        states.add(AvroSerde.of(ExecutorHealth.class).decode(r.value()).getState());
                    }
                }
                return !states.isEmpty();
            });
            assertThat(states).containsOnly(HealthState.UP);
            assertThat(analytics.clampedRecords()).isGreaterThanOrEqualTo(1);
        }
    }

    private static ToolResult result(String provider, Instant finishedAt) {
        String id = UUID.randomUUID().toString();
        return ToolResult.newBuilder().setRequestId(id).setCorrelationId(id).setTool("echo").setProvider(provider)
                .setStatus(ToolStatus.SUCCESS).setOutputJson("{}").setAttempts(1)
                .setSubmittedAt(finishedAt.minusMillis(20)).setStartedAt(finishedAt.minusMillis(10))
                .setFinishedAt(finishedAt).build();
    }

    private static void send(KafkaProducer<String, byte[]> producer, ToolResult result) throws Exception {
        producer.send(new ProducerRecord<>(Topics.RESULTS.name(), result.getRequestId(),
                AvroSerde.of(ToolResult.class).encode(result))).get(30, TimeUnit.SECONDS);
    }

    /** A reader of every partition of {@code topic}, from its current end. */
    private static KafkaConsumer<String, byte[]> reader(String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cluster.settings().consumer(null,
                cluster.uniqueName("skew-reader")));
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }
}
