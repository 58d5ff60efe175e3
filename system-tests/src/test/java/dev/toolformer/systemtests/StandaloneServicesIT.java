package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.systemtests.faults.ServiceProcess;
import dev.toolformer.systemtests.ops.MonitoringFiles;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each service owns, it serves wherever it runs: the standalone {@code alert-processor} (its own JVM,
 * through the real CLI) answers {@code /api/alerts} with the alert it fired and {@code /api/silences}, the
 * standalone {@code analytics} exports {@code speculation_accuracy_ratio} on its {@code /metrics} — not only the
 * all-in-one — and every metric name {@code config/monitoring/alert-rules.yml} and the Grafana dashboard use (read
 * from those files) is exported by one of the three standalone services (executor, analytics, alert processor),
 * beside each one's own: the alert processor's {@code toolformer_alerts_*}, the Streams apps' {@code kafka_stream_*},
 * the executor's breakers by state; and two analytics instances started with {@code --application-server} answer
 * {@code /api/slo} with both instances' windows.
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
        int otherAnalyticsPort = freePort();
        int alertsPort = freePort();
        int executorPort = freePort();
        String analyticsId = cluster.uniqueName("analytics");
        try (ServiceProcess analytics = analytics(dir.resolve("analytics"), kafka, analyticsId, analyticsPort);
             ServiceProcess otherAnalytics = analytics(dir.resolve("analytics-2"), kafka, analyticsId,
                     otherAnalyticsPort);
             ServiceProcess alerts = ServiceProcess.start(dir.resolve("alerts.log"), "alert-processor",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", cluster.uniqueName("alerts"),
                     "--data-dir", dir.resolve("alerts").toString(), "--http-port", String.valueOf(alertsPort),
                     "--rules", rules.toString());
             ServiceProcess executor = ServiceProcess.start(dir.resolve("executor.log"), "executor",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--executor-id", cluster.uniqueName("executor"),
                     "--data-dir", dir.resolve("executor").toString(), "--http-port", String.valueOf(executorPort));
             ToolformerClient client = new ToolformerClient(kafka);
             KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(kafka.producer(cluster.uniqueName("raw")),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            // The requests' deadlines (10 s) start when they are sent: first let the executor join its group.
            await().atMost(Duration.ofSeconds(120)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .until(() -> ready(executorPort));
            List<CompletableFuture<ToolResult>> calls = List.of(1, 2, 3).stream()
                    .map(i -> client.submit(client.newRequest("echo", "{\"n\":" + i + "}", Duration.ofSeconds(10))
                            .setProvider(provider).build(), Duration.ofSeconds(120)))
                    .toList();
            for (CompletableFuture<ToolResult> call : calls) {
                assertThat(call.get().getStatus()).isEqualTo(ToolStatus.SUCCESS);
            }
            sendWhatTheOtherSeriesCount(client, raw, provider);

            await().atMost(Duration.ofSeconds(180)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("alert-processor exited: " + alerts.output(), () -> !alerts.isAlive())
                    .failFast("analytics exited: " + analytics.output(), () -> !analytics.isAlive())
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .untilAsserted(() -> {
                        JsonNode firing = JSON.readTree(get(alertsPort, "/api/alerts"));
                        assertThat(firing.isArray()).isTrue();
                        assertThat(firing.toString()).contains(rule).contains(provider).contains("FIRING");
                    });
            assertThat(JSON.readTree(get(alertsPort, "/api/silences")).isArray()).isTrue();
            assertThat(get(analyticsPort, "/metrics"))
                    .contains("speculation_accuracy_ratio_bucket{le=\"0.5\"}")
                    .contains("toolformer_analytics_dropped_records_total");

            assertEveryMonitoringMetricIsExported(List.of(executorPort, analyticsPort, alertsPort));
            // One alert per tool of the provider (echo, simulated), each fires in its own time: the gauge follows.
            await().atMost(Duration.ofSeconds(90)).ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
                long firing = 0;
                for (JsonNode alert : JSON.readTree(get(alertsPort, "/api/alerts"))) {
                    firing += alert.path("rule").asText().equals(rule) ? 1 : 0;
                }
                assertThat(firing).isEqualTo(2);
                assertThat(get(alertsPort, "/metrics"))
                        .contains("toolformer_alerts_firing{rule=\"" + rule + "\",severity=\"info\"} 2.0");
            });
            assertThat(get(alertsPort, "/metrics"))
                    .contains("toolformer_alerts_transitions_total{rule=\"" + rule + "\",state=\"firing\"}")
                    .contains("kafka_stream_");
            assertThat(get(analyticsPort, "/metrics")).contains("kafka_stream_");

            assertThat(get(executorPort, "/metrics"))
                    .containsPattern("resilience4j_circuitbreaker_state\\{[^}]*provider=\"" + provider
                            + "\"[^}]*state=\"closed\"[^}]*} 1.0");
            assertEachAnalyticsAnswersForBoth(analyticsPort, otherAnalytics, otherAnalyticsPort, provider);
        }
    }

    /**
     * What the other series of the rules and the dashboard count: a priced call, a retried one, a request for no
     * tool, and a record that is no request at all.
     */
    private static void sendWhatTheOtherSeriesCount(ToolformerClient client, KafkaProducer<byte[], byte[]> raw,
                                                    String provider) throws Exception {
        assertThat(client.submit(client.newRequest("simulated", "{\"input_tokens\":1000,\"output_tokens\":1000}",
                Duration.ofSeconds(10)).setProvider("openai").setModel("gpt-4o").build(), Duration.ofSeconds(60))
                .get().getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(client.submit(client.newRequest("simulated", "{\"fail_probability\":1,\"retriable\":true}",
                Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(60))
                .get().getAttempts()).isGreaterThan(1);
        assertThat(client.submit(client.newRequest("no-such-tool", "{}", Duration.ofSeconds(10)).build(),
                Duration.ofSeconds(60)).get().getStatus()).isEqualTo(ToolStatus.REJECTED);
        raw.send(new ProducerRecord<>(Topics.REQUESTS.name(), "garbage".getBytes(StandardCharsets.UTF_8),
                "not an Avro request".getBytes(StandardCharsets.UTF_8))).get();
    }

    /** Every metric name the Prometheus rules and the Grafana dashboard use is exported by one of the services. */
    private void assertEveryMonitoringMetricIsExported(List<Integer> ports) throws IOException {
        Set<String> used = MonitoringFiles.usedMetricNames();
        used.remove("up"); // Prometheus' own series, one per scrape target
        assertThat(used).as("metric names of config/monitoring").hasSizeGreaterThan(10);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
            Set<String> exported = new TreeSet<>();
            for (int port : ports) {
                exported.addAll(names(get(port, "/metrics")));
            }
            assertThat(exported).containsAll(used);
        });
    }

    /** Two analytics instances of one application: each answers {@code /api/slo} with every instance's share. */
    private void assertEachAnalyticsAnswersForBoth(int analyticsPort, ServiceProcess otherAnalytics,
                                                   int otherAnalyticsPort, String provider) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(IOException.class)
                .failFast("analytics 2 exited: " + otherAnalytics.output(), () -> !otherAnalytics.isAlive())
                .untilAsserted(() -> {
                    Set<String> shares = new TreeSet<>(sloKeys(get(analyticsPort, "/api/slo?local=true"),
                            provider));
                    shares.addAll(sloKeys(get(otherAnalyticsPort, "/api/slo?local=true"), provider));
                    assertThat(shares).as("windows of the provider's tools").isNotEmpty()
                            .anyMatch(k -> k.startsWith("echo/")).anyMatch(k -> k.startsWith("simulated/"));
                    assertThat(sloKeys(get(analyticsPort, "/api/slo"), provider)).isEqualTo(shares);
                    assertThat(sloKeys(get(otherAnalyticsPort, "/api/slo"), provider)).isEqualTo(shares);
                });
    }

    /** An analytics instance of {@code applicationId}, telling its peers its HTTP API's address. */
    private static ServiceProcess analytics(Path dir, KafkaSettings kafka, String applicationId, int port)
            throws IOException {
        return ServiceProcess.start(dir.resolve("analytics.log"), "analytics", "--bootstrap-servers",
                kafka.bootstrapServers(), "--application-id", applicationId, "--data-dir", dir.toString(),
                "--http-port", String.valueOf(port), "--application-server", "127.0.0.1:" + port);
    }

    /** {@code tool/provider@window_start} of the SLO windows of {@code provider} in an {@code /api/slo} answer. */
    private static Set<String> sloKeys(String answer, String provider) throws IOException {
        Set<String> keys = new TreeSet<>();
        for (JsonNode window : JSON.readTree(answer)) {
            if (window.path("provider").asText().equals(provider)) {
                keys.add(window.path("tool").asText() + "/" + provider + "@" + window.path("window_start").asText());
            }
        }
        return keys;
    }

    /** The sample names of a Prometheus text exposition. */
    private static Set<String> names(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                    end++;
                }
                names.add(line.substring(0, end));
            }
        }
        return names;
    }

    private boolean ready(int port) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode() == 200;
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
