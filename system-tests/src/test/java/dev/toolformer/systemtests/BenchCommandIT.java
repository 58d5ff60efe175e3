package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.cli.BenchCommand;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Tiny runs of the scenarios on a real broker: every contract field is written and plausible. No timing is asserted. */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(EmbeddedKafkaExtension.class)
class BenchCommandIT {
    private static final String[] TINY = {"--records", "300", "--warmup", "100", "--rate", "200",
            "--latency-duration", "1s", "--no-progress"};

    @TempDir
    Path dir;

    @Test
    void shouldWriteRelayFieldsWithPlausibleFigures(KafkaTestCluster cluster) throws Exception {
        JsonNode results = bench(cluster, "relay");

        assertThat(names(results)).containsExactly("relay");
        JsonNode relay = results.get("relay");
        assertThat(names(relay)).containsExactly("records", "throughput_per_s", "p50_ms", "p99_ms");
        assertThat(relay.get("records").asLong()).isEqualTo(300);
        assertThat(relay.get("throughput_per_s").asDouble()).isPositive();
        assertThat(relay.get("p50_ms").asDouble()).isPositive();
        assertThat(relay.get("p99_ms").asDouble()).isGreaterThanOrEqualTo(relay.get("p50_ms").asDouble());
    }

    @Test
    void shouldMeasureRelayBeforePipelineAndWriteTheRatio(KafkaTestCluster cluster) throws Exception {
        JsonNode results = bench(cluster, "pipeline", "--pairs", "2");

        assertThat(names(results)).containsExactly("relay", "pipeline");
        JsonNode pipeline = results.get("pipeline");
        assertThat(names(pipeline)).containsExactly("requests", "throughput_per_s", "ratio_to_relay", "ratio_min",
                "ratio_max", "pairs");
        assertThat(pipeline.get("requests").asLong()).isEqualTo(600);
        assertThat(pipeline.get("throughput_per_s").asDouble()).isPositive();
        assertThat(pipeline.get("ratio_to_relay").asDouble()).isPositive()
                .isBetween(pipeline.get("ratio_min").asDouble(), pipeline.get("ratio_max").asDouble());
        assertThat(pipeline.get("pairs")).hasSize(2).allSatisfy(pair -> {
            assertThat(names(pair)).containsExactly("relay_per_s", "pipeline_per_s", "ratio", "analytics_behind_s");
            assertThat(pair.get("analytics_behind_s").asDouble()).isNotNegative();
            assertThat(pair.get("ratio").asDouble()).isEqualTo(Math.round(
                    pair.get("pipeline_per_s").asDouble() / pair.get("relay_per_s").asDouble() * 1000) / 1000.0,
                    offset(0.002));
        });
    }

    @Test
    void shouldRatioEachScaleStepAgainstItsOwnRelay(KafkaTestCluster cluster) throws Exception {
        JsonNode results = bench(cluster, "scale", "--instances", "1,2", "--scale-records", "300",
                "--scale-duration", "1s");

        // No run-wide relay: each step measured its own just before it (the relay speeds up as the JVM warms).
        assertThat(names(results)).containsExactly("scale");
        JsonNode scale = results.get("scale");
        assertThat(names(scale)).containsExactly("1", "2");
        for (String instances : List.of("1", "2")) {
            JsonNode step = scale.get(instances);
            assertThat(names(step)).containsExactly("instances", "requests", "throughput_per_s", "relay_per_s",
                    "ratio_to_relay", "rate_per_s", "p50_ms", "p95_ms", "p99_ms");
            assertThat(step.get("instances").asInt()).isEqualTo(Integer.parseInt(instances));
            assertThat(step.get("requests").asLong()).isEqualTo(300);
            assertThat(step.get("relay_per_s").asDouble()).isPositive();
            assertThat(step.get("ratio_to_relay").asDouble()).isEqualTo(Math.round(
                    step.get("throughput_per_s").asDouble() / step.get("relay_per_s").asDouble() * 1000) / 1000.0,
                    offset(0.002));
        }
    }

    @Test
    void shouldRunEveryConcurrentRequestAndMeasureHeap(KafkaTestCluster cluster) throws Exception {
        // Calls of 1 s: the in-flight sampler (every 100 ms, a /metrics scrape on a busy machine) must see them.
        JsonNode results = bench(cluster, "concurrency", "--concurrent-requests", "200", "--tool-latency", "1s",
                "--pairs", "2");

        JsonNode concurrency = results.get("concurrency");
        assertThat(names(concurrency)).containsExactly("requests", "peak_in_flight", "tool_latency_ms", "wall_s",
                "wall_s_min", "wall_s_max", "bursts", "executor_heap_max_mb", "executor_heap_peak_mb",
                "executor_heap_kept_mb", "held_in_flight", "executor_heap_live_mb", "bytes_per_in_flight",
                "bytes_per_in_flight_upper", "executor_full_gcs", "executor_gcs", "executor_gc_pause_s");
        assertThat(concurrency.get("requests").asLong()).isEqualTo(400);
        assertThat(concurrency.get("peak_in_flight").asInt()).isBetween(1, 200);
        assertThat(concurrency.get("tool_latency_ms").asDouble()).isGreaterThanOrEqualTo(1_000);
        assertThat(concurrency.get("wall_s").asDouble()).isGreaterThanOrEqualTo(1.0)
                .isBetween(concurrency.get("wall_s_min").asDouble(), concurrency.get("wall_s_max").asDouble());
        // Each burst's timeline, from the results' own timestamps: the last call started, waited its second, then
        // its result was read.
        assertThat(concurrency.get("bursts")).hasSize(2).allSatisfy(burst -> {
            assertThat(names(burst)).containsExactly("wall_s", "published_s", "last_started_s", "last_finished_s",
                    "tool_latency_ms");
            assertThat(burst.get("published_s").asDouble()).isPositive();
            assertThat(burst.get("last_finished_s").asDouble() - burst.get("last_started_s").asDouble())
                    .isGreaterThanOrEqualTo(0.99);
            assertThat(burst.get("wall_s").asDouble()).isGreaterThanOrEqualTo(burst.get("last_finished_s").asDouble());
            assertThat(burst.get("tool_latency_ms").asDouble()).isGreaterThanOrEqualTo(1_000);
        });
        // The executor's own JVM, from its GC log: a heap of 512 MB at most, and at least the GC asked at the end.
        assertThat(concurrency.get("executor_heap_max_mb").asDouble()).isEqualTo(512);
        assertThat(concurrency.get("executor_heap_peak_mb").asDouble()).isPositive().isLessThanOrEqualTo(512);
        assertThat(concurrency.get("bytes_per_in_flight").asLong()).isNotNegative();
        // What waiting requests hold: all 200 held at once, measured by a full GC of a heap they are in.
        assertThat(concurrency.get("held_in_flight").asLong()).isBetween(1L, 200L);
        assertThat(concurrency.get("executor_heap_live_mb").asDouble()).isPositive().isLessThanOrEqualTo(512);
        // The executor stood still for part of the bursts at most: their collections' pauses, in seconds.
        double walls = 0;
        for (JsonNode burst : concurrency.get("bursts")) {
            walls += burst.get("wall_s").asDouble();
        }
        assertThat(concurrency.get("executor_gc_pause_s").asDouble()).isNotNegative().isLessThan(walls);
    }

    private JsonNode bench(KafkaTestCluster cluster, String scenario, String... extra) throws Exception {
        Path json = dir.resolve(scenario + ".json");
        List<String> args = new ArrayList<>(List.of(scenario, "-b", cluster.bootstrapServers(), "--json", json.toString()));
        args.addAll(List.of(TINY));
        args.addAll(List.of(extra));

        int exitCode = new CommandLine(new BenchCommand()).execute(args.toArray(String[]::new));

        assertThat(exitCode).isZero();
        return new ObjectMapper().readTree(json.toFile());
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
