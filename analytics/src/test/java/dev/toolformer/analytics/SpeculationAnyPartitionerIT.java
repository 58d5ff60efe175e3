package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speculation accuracy does not depend on the partitioner of the agents that publish outcomes: results are
 * published as executors do (Java's default partitioner, murmur2), outcomes on the partition librdkafka's default
 * partitioner ({@code consistent_random}: CRC32 of the key) picks, as a Python agent's would, and every outcome
 * still meets its result. The broker may be shared: the run's calls carry a unique tool name, and only that tool's
 * windows are read.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class SpeculationAnyPartitionerIT {
    private static final int CALLS = 200;
    private static final Duration SPECULATION_WINDOW = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(10);

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldJoinEveryOutcomeWithItsResultWhateverPartitionerWroteTheOutcomes(KafkaTestCluster cluster,
                                                                                @TempDir Path state) {
        String tool = "spec_" + cluster.uniqueName("any").replace('-', '_');
        KafkaSettings kafka = cluster.settings();
        AnalyticsConfig config = AnalyticsConfig.defaults(state)
                .withApplicationId(cluster.uniqueName("analytics-any-partitioner"))
                .withSpeculationWindow(SPECULATION_WINDOW)
                .withGrace(GRACE);
        // In the past, so that closing the join later needs no timestamp beyond the wall clock.
        Instant run = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(3));
        Instant closing = run.plus(config.windowSize()).plusSeconds(5);
        Map<String, SpeculationWindow> latest = new HashMap<>();
        try (AnalyticsService analytics = new AnalyticsService(config, kafka);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("any-partitioner-it"));
             KafkaConsumer<String, byte[]> windows = new KafkaConsumer<>(
                     kafka.consumer(cluster.uniqueName("any-partitioner-windows"), "any-partitioner-it"))) {
            analytics.start();
            windows.subscribe(List.of(Topics.SPECULATION.name()));
            int partitions = producer.partitionsFor(Topics.SPECULATION_OUTCOMES.name()).size();
            Expected expected = publish(producer, tool, run, partitions);
            String runWindow = tool + "|" + run;

            // Every call resolved, as its outcome said.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                poll(windows, tool, latest);
                assertThat(counts(latest.get(runWindow))).as("hits, misses, unresolved, wasted nano-USD of %s",
                        runWindow).isEqualTo(expected.counts());
            });

            // None left unresolved: once each join task has emitted its unanswered closer, it is past the run.
            List<String> closers = keysForEveryPartition(tool + "-closer", partitions);
            closers.forEach(id -> sendUnanswered(producer, tool, id, closing));
            producer.flush();
            String closingWindow = tool + "|" + closing.truncatedTo(ChronoUnit.MINUTES);
            Instant past = closing.plus(SPECULATION_WINDOW).plus(GRACE).plusSeconds(1);
            // Again and again: a join task looks for expired calls at most once a wall-clock second.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                keysForEveryPartition(tool + "-pusher", partitions)
                        .forEach(id -> sendUnanswered(producer, tool + "_pusher", id, past));
                producer.flush();
                poll(windows, tool, latest);
                assertThat(latest.get(closingWindow)).as(closingWindow).isNotNull()
                        .extracting(SpeculationWindow::getUnresolved).isEqualTo((long) closers.size());
            });
            assertThat(counts(latest.get(runWindow))).isEqualTo(expected.counts());
            assertThat(latest.get(runWindow).getAccuracy()).isEqualTo(expected.hits() / (double) CALLS);
        }
    }

    /** What the run's window must say. */
    private record Expected(long hits, long misses, long wastedNanos) {
        List<Long> counts() {
            return List.of(hits, misses, 0L, wastedNanos);
        }
    }

    /**
     * {@value #CALLS} speculative results finishing within a second, and an outcome for each a second after it
     * finished: three in four used. Outcomes go where a CRC32 partitioner puts them, which for most request ids is
     * not where murmur2 puts their result.
     */
    private static Expected publish(KafkaProducer<String, byte[]> producer, String tool, Instant run,
                                    int partitions) {
        long hits = 0;
        long wastedNanos = 0;
        int elsewhere = 0;
        for (int i = 0; i < CALLS; i++) {
            String requestId = tool + "-req-" + i;
            Instant finished = run.plusMillis(i * 5L);
            long costNanos = (i + 1) * 100_000L;
            ToolResult result = ToolResult.newBuilder().setRequestId(requestId).setCorrelationId(requestId)
                    .setTool(tool).setProvider("local").setStatus(ToolStatus.SUCCESS).setAttempts(1)
                    .setSpeculative(true).setSubmittedAt(finished.minusMillis(20))
                    .setStartedAt(finished.minusMillis(10)).setFinishedAt(finished).setCostUsd(costNanos / 1e9).build();
            producer.send(new ProducerRecord<>(Topics.RESULTS.name(), null, finished.toEpochMilli(), requestId,
                    AvroSerde.of(ToolResult.class).encode(result)));

            boolean used = i % 4 != 0;
            Instant decided = finished.plusSeconds(1);
            SpeculationOutcome outcome = SpeculationOutcome.newBuilder().setRequestId(requestId).setUsed(used)
                    .setDecidedAt(decided).setReason(used ? "" : "agent took another path").build();
            int partition = crc32Partition(requestId, partitions);
            elsewhere += partition == murmur2Partition(requestId, partitions) ? 0 : 1;
            producer.send(new ProducerRecord<>(Topics.SPECULATION_OUTCOMES.name(), partition, decided.toEpochMilli(),
                    requestId, AvroSerde.of(SpeculationOutcome.class).encode(outcome)));
            hits += used ? 1 : 0;
            wastedNanos += used ? 0 : costNanos;
        }
        producer.flush();
        System.out.printf("%d of %d outcomes on another partition than their result%n", elsewhere, CALLS);
        assertThat(elsewhere).as("outcomes not on their result's partition").isGreaterThan(CALLS / 2);
        return new Expected(hits, CALLS - hits, wastedNanos);
    }

    private static void sendUnanswered(KafkaProducer<String, byte[]> producer, String tool, String id, Instant at) {
        ToolResult closer = ToolResult.newBuilder().setRequestId(id).setCorrelationId(id).setTool(tool)
                .setProvider("local").setStatus(ToolStatus.SUCCESS).setAttempts(1).setSpeculative(true)
                .setSubmittedAt(at).setStartedAt(at).setFinishedAt(at).build();
        producer.send(new ProducerRecord<>(Topics.RESULTS.name(), null, at.toEpochMilli(), id,
                AvroSerde.of(ToolResult.class).encode(closer)));
    }

    /** One request id per partition, by murmur2: the partition of the source topic and of Streams' repartition. */
    private static List<String> keysForEveryPartition(String prefix, int partitions) {
        String[] keys = new String[partitions];
        int found = 0;
        while (found < partitions) {
            String id = prefix + "-" + UUID.randomUUID();
            int partition = murmur2Partition(id, partitions);
            if (keys[partition] == null) {
                keys[partition] = id;
                found++;
            }
        }
        return new ArrayList<>(List.of(keys));
    }

    /** The partition Java's default partitioner (and Kafka Streams) gives a key. */
    private static int murmur2Partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** The partition librdkafka's default partitioner ({@code consistent_random}) gives a key. */
    private static int crc32Partition(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    /** The latest record of each of the tool's windows read so far, final or not. */
    private static void poll(KafkaConsumer<String, byte[]> windows, String tool,
                             Map<String, SpeculationWindow> latest) {
        for (ConsumerRecord<String, byte[]> record : windows.poll(Duration.ofMillis(200))) {
            if (record.key().startsWith(tool + "|")) {
                latest.put(record.key(), AvroSerde.of(SpeculationWindow.class).decode(record.value()));
            }
        }
    }

    /** hits, misses, unresolved and wasted cost in nano-USD; null for a window not emitted yet. */
    private static List<Long> counts(SpeculationWindow window) {
        return window == null ? null : List.of(window.getHits(), window.getMisses(), window.getUnresolved(),
                Math.round(window.getWastedCostUsd() * 1e9));
    }
}
