package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.systemtests.faults.ServiceProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each service owns, it serves wherever it runs: the standalone {@code alert-processor} (its own JVM,
 * through the real CLI) answers {@code /api/alerts} with the alert it fired and {@code /api/silences}, and the
 * standalone {@code analytics} exports {@code speculation_accuracy_ratio} on its {@code /metrics} — not only the
 * all-in-one.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class StandaloneServicesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(300)
    void shouldServeEachServicesOwnApiAndMetricsFromItsStandaloneProcess(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        String provider = cluster.uniqueName("standalone").replace('-', '_');
        String rule = "StandaloneApiTest";
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
                rules:
                  - name: %s
                    source: toolformer.slo
                    expr: {field: requests, op: ">=", threshold: 1}
                    for: 0s
                    min_requests: 0
                    severity: info
                    match: {provider: "%s"}
                    annotations: {summary: "{{value}} requests"}
                """.formatted(rule, provider));
        int analyticsPort = freePort();
        int alertsPort = freePort();
        ExecutorConfig executorConfig = ExecutorConfig.builder(cluster.uniqueName("executor"))
                .groupId(cluster.uniqueName("executor-group")).build();
        try (ServiceProcess analytics = ServiceProcess.start(dir.resolve("analytics.log"), "analytics",
                "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", cluster.uniqueName("analytics"),
                "--data-dir", dir.resolve("analytics").toString(), "--http-port", String.valueOf(analyticsPort));
             ServiceProcess alerts = ServiceProcess.start(dir.resolve("alerts.log"), "alert-processor",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", cluster.uniqueName("alerts"),
                     "--data-dir", dir.resolve("alerts").toString(), "--http-port", String.valueOf(alertsPort),
                     "--rules", rules.toString());
             ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                     Pricing.defaults(), new SimpleMeterRegistry());
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            List<CompletableFuture<ToolResult>> calls = List.of(1, 2, 3).stream()
                    .map(i -> client.submit(client.newRequest("echo", "{\"n\":" + i + "}", Duration.ofSeconds(10))
                            .setProvider(provider).build(), Duration.ofSeconds(120)))
                    .toList();
            for (CompletableFuture<ToolResult> call : calls) {
                assertThat(call.get().getStatus()).isEqualTo(ToolStatus.SUCCESS);
            }

            await().atMost(Duration.ofSeconds(180)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("alert-processor exited: " + alerts.output(), () -> !alerts.isAlive())
                    .failFast("analytics exited: " + analytics.output(), () -> !analytics.isAlive())
                    .untilAsserted(() -> {
                        JsonNode firing = JSON.readTree(get(alertsPort, "/api/alerts"));
                        assertThat(firing.isArray()).isTrue();
                        assertThat(firing.toString()).contains(rule).contains(provider).contains("FIRING");
                    });
            assertThat(JSON.readTree(get(alertsPort, "/api/silences")).isArray()).isTrue();
            assertThat(get(analyticsPort, "/metrics"))
                    .contains("speculation_accuracy_ratio_bucket{le=\"0.5\"}")
                    .contains("toolformer_analytics_dropped_records_total");
        }
    }

    private String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
