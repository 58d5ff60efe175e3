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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.avro.specific.SpecificRecord;
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
 * Runs the topology on a real broker over a recorded set of results (with duplicates, speculative calls and
 * outcomes), then recomputes every SLO, cost and speculation aggregate of the run from the raw results and
 * outcomes topics and finds no difference in counts and costs. The broker may be shared: this run's records
 * carry a unique tag in their tool, provider and model names, and only aggregates of those are compared (the
 * global groups, which mix in other tests' records, are not).
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class RecomputationIT {
    private static final int RESULTS = 400;
    private static final Duration SPECULATION_WINDOW = Duration.ofMinutes(1);
    private static final ToolStatus[] STATUSES = ToolStatus.values();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldMatchAggregatesRecomputedFromTheRawTopics(KafkaTestCluster cluster, @TempDir Path state)
            throws Exception {
        String tag = cluster.uniqueName("run").replace('-', '_');
        KafkaSettings kafka = cluster.settings();
        // A long grace: source tasks run at different paces, and a result must not be dropped as late.
        AnalyticsConfig config = AnalyticsConfig.defaults(state)
                .withApplicationId(cluster.uniqueName("analytics-recompute"))
                .withGrace(Duration.ofMinutes(10))
                .withSpeculationWindow(SPECULATION_WINDOW);
        Instant base = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofMinutes(50));
        Map<String, Long> emitted = new HashMap<>();
        try (AnalyticsService analytics = new AnalyticsService(config, kafka);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("recompute-it"));
             KafkaConsumer<String, byte[]> aggregates = new KafkaConsumer<>(
                     kafka.consumer(cluster.uniqueName("recompute-aggregates"), "recompute-it"))) {
            analytics.start();
            aggregates.subscribe(List.of(Topics.SLO.name(), Topics.COST.name(), Topics.SPECULATION.name()));
            int outcomes = record(producer, tag, base);
            Map<String, Map<String, Object>> latest = new HashMap<>();
            Map<String, Map<String, Object>> expected = recompute(kafka, cluster, tag, outcomes);

            // First everything but unresolved speculation, which needs stream time to move past the window.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                poll(aggregates, tag, latest, emitted);
                assertThat(differences(withoutUnresolved(expected), withoutUnresolved(latest))).isEmpty();
            });
            // Then move each join task's stream time past it: only now, so that no result of the run is too late.
            int[] closers = {0};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                closeSpeculation(producer, base.plus(Duration.ofMinutes(40)).plusSeconds(closers[0]++));
                poll(aggregates, tag, latest, emitted);
                assertThat(differences(expected, latest)).isEmpty();
            });
        }
        assertThat(emitted).containsKeys(Topics.SLO.name(), Topics.COST.name(), Topics.SPECULATION.name());
    }

    /**
     * The recorded run: results of 4 tools, 2 providers and 3 models over 5 minutes, some twice, some speculative;
     * returns the number of outcomes.
     */
    private static int record(KafkaProducer<String, byte[]> producer, String tag, Instant base) throws Exception {
        Random random = new Random(42);
        int outcomes = 0;
        for (int i = 0; i < RESULTS; i++) {
            Instant finished = base.plusMillis(i * 750L + random.nextInt(500));
            long latency = random.nextInt(3_000);
            ToolResult result = ToolResult.newBuilder()
                    .setRequestId(tag + "-req-" + i)
                    .setCorrelationId("corr")
                    .setTool("tool" + random.nextInt(4) + "_" + tag)
                    .setProvider("prov" + random.nextInt(2) + "_" + tag)
                    .setModel("model" + random.nextInt(3))
                    .setStatus(STATUSES[random.nextInt(STATUSES.length)])
                    .setAttempts(1)
                    .setSpeculative(random.nextInt(3) == 0)
                    .setSubmittedAt(finished.minusMillis(latency))
                    .setStartedAt(finished.minusMillis(latency / 2))
                    .setFinishedAt(finished)
                    .setInputTokens(random.nextInt(2_000))
                    .setOutputTokens(random.nextInt(500))
                    .setCostUsd(random.nextInt(100_000) * 1.7e-7)
                    .build();
            send(producer, Topics.RESULTS, result.getRequestId(), result, finished);
            if (i % 25 == 0) {
                send(producer, Topics.RESULTS, result.getRequestId(), result, finished); // a re-run after a crash
            }
            int decision = random.nextInt(4);
            if (result.getSpeculative() && decision < 3) {
                // Used, discarded, or decided too late (after the speculation window): unresolved.
                Instant decided = finished.plus(decision == 2 ? SPECULATION_WINDOW.plusSeconds(30)
                        : Duration.ofSeconds(5));
                SpeculationOutcome outcome = SpeculationOutcome.newBuilder().setRequestId(result.getRequestId())
                        .setUsed(decision == 0).setDecidedAt(decided).build();
                send(producer, Topics.SPECULATION_OUTCOMES, result.getRequestId(), outcome, decided);
                outcomes++;
            }
        }
        producer.flush();
        return outcomes;
    }

    /** The latest counts of every aggregate of the run emitted so far, by topic and key. */
    private static void poll(KafkaConsumer<String, byte[]> aggregates, String tag,
                             Map<String, Map<String, Object>> latest, Map<String, Long> emitted) {
        for (ConsumerRecord<String, byte[]> record : aggregates.poll(Duration.ofMillis(200))) {
            if (record.key().contains(tag)) {
                latest.put(record.topic() + " " + record.key(), counts(record));
                emitted.merge(record.topic(), 1L, Long::sum);
            }
        }
    }

    /**
     * A speculative result for every partition of the join, to move its stream time; its ids carry no run tag. The
     * join reads a repartition topic, partitioned by murmur2 of the request id: the ids are picked to cover it.
     */
    private static void closeSpeculation(KafkaProducer<String, byte[]> producer, Instant at) {
        int partitions = producer.partitionsFor(Topics.RESULTS.name()).size();
        Map<Integer, String> ids = new HashMap<>();
        while (ids.size() < partitions) {
            String id = "closer-" + UUID.randomUUID();
            ids.putIfAbsent(Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions, id);
        }
        for (String id : ids.values()) {
            ToolResult closer = ToolResult.newBuilder().setRequestId(id).setCorrelationId("corr")
                    .setTool("closer").setStatus(ToolStatus.SUCCESS).setAttempts(1).setSpeculative(true)
                    .setSubmittedAt(at).setStartedAt(at).setFinishedAt(at).build();
            producer.send(new ProducerRecord<>(Topics.RESULTS.name(), null, at.toEpochMilli(), id,
                    AvroSerde.of(ToolResult.class).encode(closer)));
        }
        producer.flush();
    }

    /** Every aggregate of the run, recomputed from what the raw topics hold for it. */
    private static Map<String, Map<String, Object>> recompute(KafkaSettings kafka, KafkaTestCluster cluster,
                                                              String tag, int outcomeCount) {
        Map<String, ToolResult> results = new LinkedHashMap<>();
        Map<String, SpeculationOutcome> outcomes = new HashMap<>();
        int duplicates = RESULTS / 25;
        int count = RESULTS + duplicates + outcomeCount;
        for (ConsumerRecord<String, byte[]> record : readAll(kafka, cluster, tag, count)) {
            if (record.topic().equals(Topics.RESULTS.name())) {
                ToolResult result = AvroSerde.of(ToolResult.class).decode(record.value());
                results.putIfAbsent(result.getRequestId(), result);
            } else {
                SpeculationOutcome outcome = AvroSerde.of(SpeculationOutcome.class).decode(record.value());
                outcomes.putIfAbsent(outcome.getRequestId(), outcome);
            }
        }
        assertThat(results).hasSize(RESULTS);
        assertThat(outcomes).hasSize(outcomeCount);
        Map<String, Map<String, Object>> expected = new HashMap<>();
        for (ToolResult r : results.values()) {
            long finished = r.getFinishedAt().toEpochMilli();
            String minute = Instant.ofEpochMilli(finished - finished % 60_000).toString();
            String hour = Instant.ofEpochMilli(finished - finished % 3_600_000).toString();
            add(expected, Topics.SLO.name() + " " + r.getTool() + "|" + r.getProvider() + "|" + minute,
                    "requests", 1, r.getStatus().name(), 1);
            long nanos = Math.round(r.getCostUsd() * 1e9);
            // Calls that never reached a provider (the client's mistake, or not served) are not in the cost windows.
            boolean reachedProvider = r.getStatus() != ToolStatus.REJECTED && r.getStatus() != ToolStatus.UNAVAILABLE;
            for (String window : reachedProvider ? List.of("1m|" + minute, "1h|" + hour) : List.<String>of()) {
                add(expected, Topics.COST.name() + " " + r.getProvider() + "|" + r.getModel() + "|" + window,
                        "requests", 1, "input_tokens", r.getInputTokens(), "output_tokens", r.getOutputTokens(),
                        "cost_nanos", nanos);
            }
            if (r.getSpeculative()) {
                SpeculationOutcome outcome = outcomes.get(r.getRequestId());
                boolean inTime = outcome != null && Math.abs(outcome.getDecidedAt().toEpochMilli() - finished)
                        <= SPECULATION_WINDOW.toMillis();
                String resolution = !inTime ? "unresolved" : outcome.getUsed() ? "hits" : "misses";
                add(expected, Topics.SPECULATION.name() + " " + r.getTool() + "|" + minute, resolution, 1,
                        "wasted_nanos", resolution.equals("misses") ? nanos : 0);
            }
        }
        return expected;
    }

    /** The run's {@code count} records of the raw results and outcomes topics. */
    private static List<ConsumerRecord<String, byte[]>> readAll(KafkaSettings kafka, KafkaTestCluster cluster,
                                                                String tag, int count) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> raw = new KafkaConsumer<>(
                kafka.consumer(cluster.uniqueName("recompute-raw"), "recompute-it"))) {
            raw.subscribe(List.of(Topics.RESULTS.name(), Topics.SPECULATION_OUTCOMES.name()));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : raw.poll(Duration.ofMillis(500))) {
                    if (record.key().startsWith(tag)) {
                        records.add(record);
                    }
                }
                return records.size() == count;
            });
        }
        return records;
    }

    /** The counts and costs of an emitted aggregate, in the shape {@link #recompute} builds. */
    private static Map<String, Object> counts(ConsumerRecord<String, byte[]> record) {
        Map<String, Object> counts = new HashMap<>();
        Object value = AvroSerde.of(Topics.byName(record.topic()).orElseThrow().valueType()).decode(record.value());
        switch (value) {
            case SloWindow w -> {
                put(counts, "requests", w.getRequests(), "SUCCESS", w.getSuccess(), "ERROR", w.getErrors(),
                        "TIMEOUT", w.getTimeouts(), "CANCELLED", w.getCancelled(), "REJECTED", w.getRejected(),
                        "UNAVAILABLE", w.getUnavailable());
            }
            case CostWindow w -> put(counts, "requests", w.getRequests(),
                    "input_tokens", w.getInputTokens(), "output_tokens", w.getOutputTokens(),
                    "cost_nanos", Math.round(w.getCostUsd() * 1e9));
            case SpeculationWindow w -> put(counts, "hits", w.getHits(),
                    "misses", w.getMisses(), "unresolved", w.getUnresolved(),
                    "wasted_nanos", Math.round(w.getWastedCostUsd() * 1e9));
            default -> throw new IllegalStateException("unexpected " + record.topic());
        }
        return counts;
    }

    /** Each aggregate whose emitted counts are not the recomputed ones: key, then expected and emitted counts. */
    private static Map<String, String> differences(Map<String, Map<String, Object>> expected,
                                                   Map<String, Map<String, Object>> emitted) {
        Map<String, String> differences = new TreeMap<>();
        expected.forEach((key, counts) -> {
            if (!counts.equals(emitted.get(key))) {
                differences.put(key, counts + " != " + emitted.get(key));
            }
        });
        emitted.keySet().stream().filter(key -> !expected.containsKey(key))
                .forEach(key -> differences.put(key, "not expected: " + emitted.get(key)));
        return differences;
    }

    private static Map<String, Map<String, Object>> withoutUnresolved(Map<String, Map<String, Object>> aggregates) {
        Map<String, Map<String, Object>> out = new HashMap<>();
        aggregates.forEach((key, counts) -> {
            Map<String, Object> resolved = new HashMap<>(counts);
            resolved.remove("unresolved");
            if (!resolved.isEmpty()) {
                out.put(key, resolved);
            }
        });
        return out;
    }

    /** Adds the given name/amount pairs to the aggregate {@code key}, leaving out zero amounts. */
    private static void add(Map<String, Map<String, Object>> expected, String key, Object... pairs) {
        Map<String, Object> counts = expected.computeIfAbsent(key, k -> new HashMap<>());
        for (int i = 0; i < pairs.length; i += 2) {
            long amount = ((Number) pairs[i + 1]).longValue();
            if (amount != 0) {
                counts.merge((String) pairs[i], amount, (a, b) -> (Long) a + (Long) b);
            }
        }
    }

    /** Puts the given name/count pairs, leaving out zeros like {@link #add}. */
    private static void put(Map<String, Object> counts, Object... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            long value = ((Number) pairs[i + 1]).longValue();
            if (value != 0) {
                counts.put((String) pairs[i], value);
            }
        }
    }

    private static <V extends SpecificRecord> void send(KafkaProducer<String, byte[]> producer, Topic<V> topic,
                                                        String key, V value, Instant timestamp) {
        producer.send(new ProducerRecord<>(topic.name(), null, timestamp.toEpochMilli(), key,
                AvroSerde.of(topic.valueType()).encode(value)));
    }
}
