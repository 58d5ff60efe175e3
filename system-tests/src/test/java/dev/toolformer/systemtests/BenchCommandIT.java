package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

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
        JsonNode results = bench(cluster, "pipeline");

        assertThat(names(results)).containsExactly("relay", "pipeline");
        JsonNode pipeline = results.get("pipeline");
        assertThat(names(pipeline)).containsExactly("requests", "throughput_per_s", "ratio_to_relay");
        assertThat(pipeline.get("requests").asLong()).isPositive();
        assertThat(pipeline.get("throughput_per_s").asDouble()).isPositive();
        assertThat(pipeline.get("ratio_to_relay").asDouble()).isPositive();
    }

    @Test
    void shouldRunEveryConcurrentRequestAndMeasureHeap(KafkaTestCluster cluster) throws Exception {
        JsonNode results = bench(cluster, "concurrency", "--concurrent-requests", "200", "--tool-latency", "200ms");

        JsonNode concurrency = results.get("concurrency");
        assertThat(names(concurrency)).containsExactly("requests", "peak_in_flight", "tool_latency_ms", "wall_s", "heap_peak_mb");
        assertThat(concurrency.get("requests").asLong()).isEqualTo(200);
        assertThat(concurrency.get("peak_in_flight").asInt()).isBetween(1, 200);
        assertThat(concurrency.get("tool_latency_ms").asDouble()).isGreaterThanOrEqualTo(200);
        assertThat(concurrency.get("wall_s").asDouble()).isGreaterThanOrEqualTo(0.2);
        assertThat(concurrency.get("heap_peak_mb").asDouble()).isPositive();
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
