package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.server.Pipeline;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scrape of a running all-in-one has every metric of the spec, with its labels and buckets, and
 * values that match what was sent; {@code promtool check metrics} finds no problem in it (when
 * Debian's prometheus package is installed, as .ci/run does); asked for OpenMetrics, it links latency buckets to
 * trace ids (exemplars); readiness lists its checks.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class MetricsIT {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Timeout(180)
    void shouldExposeTheSpecMetricsWithTheValuesSent(KafkaTestCluster cluster, @TempDir Path data) throws Exception {
        String provider = cluster.uniqueName("metrics").replace('-', '_');
        Pipeline.Options options = new Pipeline.Options(cluster.settings(), data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), null);
        TestTracing.install(1.0, null); // every request sampled: each latency bucket gets an exemplar
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            String base = "http://127.0.0.1:" + pipeline.httpPort();
            List<CompletableFuture<ToolResult>> results = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                results.add(client.submit(client.newRequest("echo", "{}", Duration.ofSeconds(10))
                        .setProvider(provider).build(), Duration.ofSeconds(60)));
            }
            results.add(client.submit(client.newRequest("simulated",
                    "{\"input_tokens\":1000000,\"output_tokens\":1000000}", Duration.ofSeconds(10))
                    .setProvider("openai").setModel("gpt-4o-mini").build(), Duration.ofSeconds(60)));
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(base + "/metrics"))
                    .contains("orchestrator_requests_total{method=\"echo\",provider=\"" + provider
                            + "\",status=\"success\"} 7.0"));
            String scrape = get(base + "/metrics");
            assertThat(scrape)
                    .contains("orchestrator_requests_total{method=\"simulated\",provider=\"openai\",status=\"success\"}")
                    .contains("orchestrator_request_duration_seconds_count{method=\"echo\",provider=\"" + provider
                            + "\"} 7")
                    .contains("active_tool_executions{tool_type=")
                    .contains("memory_usage_bytes{component=\"all-in-one\"}")
                    .contains("cpu_usage_percent{component=\"all-in-one\"}")
                    .contains("speculation_accuracy_ratio_bucket{le=\"0.1\"}")
                    .contains("speculation_accuracy_ratio_bucket{le=\"1.0\"}");
            for (String le : List.of("0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf")) {
                assertThat(scrape).contains("orchestrator_request_duration_seconds_bucket{method=\"echo\",provider=\""
                        + provider + "\",le=\"" + le + "\"}");
            }
            // A million tokens each way on gpt-4o-mini, priced as in config/pricing.yaml.
            double cost = Pricing.defaults().costUsd("openai", "gpt-4o-mini", 1_000_000, 1_000_000);
            assertThat(cost).isEqualTo(0.75);
            assertThat(scrape).contains("api_costs_total{model=\"gpt-4o-mini\",provider=\"openai\"} " + cost);

            var ready = new ObjectMapper().readTree(get(base + "/health/ready"));
            assertThat(ready.get("status").asText()).isEqualTo("UP");
            assertThat(ready.get("checks").fieldNames()).toIterable()
                    .containsExactly("kafka", "executors", "analytics", "alert-processor", "dashboard");

            if (Files.isExecutable(PROMTOOL)) {
                assertThat(promtoolCheckMetrics(scrape)).isEmpty();
            }

            // A scraper that asks for OpenMetrics gets it, with trace exemplars on the latency buckets.
            HttpResponse<String> open = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8,text/plain;q=0.5")
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(open.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                    .startsWith("application/openmetrics-text"));
            assertThat(open.body()).endsWith("# EOF\n").containsPattern("orchestrator_request_duration_seconds_bucket"
                    + "\\{method=\"echo\",provider=\"" + provider + "\"[^}]*} \\d+ # \\{[^}]*trace_id=\"[0-9a-f]{32}\"");
        } finally {
            TestTracing.reset();
        }
    }

    /** promtool's complaints about a scrape (empty when it has none). */
    private static String promtoolCheckMetrics(String scrape) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(30, TimeUnit.SECONDS);
        return out.strip();
    }

    private String get(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.body();
    }
}
