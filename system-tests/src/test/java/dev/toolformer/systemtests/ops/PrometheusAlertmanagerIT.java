package dev.toolformer.systemtests.ops;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.systemtests.RequiredTools;
import dev.toolformer.systemtests.faults.ServiceProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone services (each its own JVM through the CLI) with a real Prometheus (Debian's {@code prometheus},
 * scraping their {@code /metrics} and evaluating {@code config/monitoring/alert-rules.yml} itself) and a real
 * Alertmanager (Debian's {@code prometheus-alertmanager}): an alert reaches Alertmanager's API by each path —
 * Prometheus' {@code HighAPICosts} rule on {@code api_costs_total}, and the alert processor's own rule through a
 * receiver with an {@code alertmanager-api} webhook. Skipped without the two programs ({@code .ci/run} installs them).
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class PrometheusAlertmanagerIT {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path ALERTMANAGER = Path.of("/usr/bin/prometheus-alertmanager");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(300)
    void shouldDeliverAnAlertFromPrometheusAndFromTheAlertProcessor(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        RequiredTools.require("apt-get install prometheus prometheus-alertmanager; .ci/run installs them",
                PROMETHEUS, ALERTMANAGER);
        KafkaSettings kafka = cluster.settings();
        String provider = cluster.uniqueName("am").replace('-', '_');
        String rule = "ProviderSeenByAlertProcessor";
        int amPort = freePort();
        int executorPort = freePort();
        int analyticsPort = freePort();
        int alertsPort = freePort();
        int prometheusPort = freePort();
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                rules:
                  - name: %s
                    source: toolformer.slo
                    expr: {field: requests, op: ">=", threshold: 1}
                    for: 0s
                    min_requests: 0
                    severity: warning
                    match: {provider: "%s"}
                    annotations: {summary: "{{value}} requests on %s"}
                route: {receiver: alertmanager, group_by: [alertname], group_wait: 1s, group_interval: 5s}
                receivers:
                  - name: alertmanager
                    webhooks:
                      - {url: "http://127.0.0.1:%d/api/v2/alerts", format: alertmanager-api}
                incidents:
                  - name: tell-alertmanager
                    match: {alertname: %s}
                    actions:
                      - {type: notify, receiver: alertmanager}
                """.formatted(rule, provider, provider, amPort, rule));
        List<Process> tools = new ArrayList<>();
        try (ServiceProcess executor = ServiceProcess.start(dir.resolve("executor.log"), "executor",
                "--bootstrap-servers", kafka.bootstrapServers(), "--executor-id", cluster.uniqueName("executor"),
                "--data-dir", dir.resolve("executor").toString(), "--http-port", String.valueOf(executorPort));
             ServiceProcess analytics = ServiceProcess.start(dir.resolve("analytics.log"), "analytics",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--application-id",
                     cluster.uniqueName("analytics"), "--data-dir", dir.resolve("analytics").toString(),
                     "--http-port", String.valueOf(analyticsPort));
             ServiceProcess alerts = ServiceProcess.start(dir.resolve("alerts.log"), "alert-processor",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", cluster.uniqueName("alerts"),
                     "--data-dir", dir.resolve("alerts").toString(), "--http-port", String.valueOf(alertsPort),
                     "--rules", rules.toString());
             ToolformerClient client = new ToolformerClient(kafka)) {
            tools.add(alertmanager(dir, amPort));
            tools.add(prometheus(dir, prometheusPort, amPort, List.of(executorPort, analyticsPort, alertsPort)));

            // The requests' deadlines (10 s) start when they are sent: first let the executor join its group.
            await().atMost(Duration.ofSeconds(120)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + executorPort
                            + "/health/ready")).GET().build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200);
            // A cheap priced call first, so that Prometheus has api_costs_total before the $200 one: increase()
            // needs two samples of a series.
            call(client, provider, 1_000);
            await().atMost(Duration.ofSeconds(90)).ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .until(() -> JSON.readTree(get(prometheusPort, "/api/v1/query?query=api_costs_total"))
                            .path("data").path("result").size() > 0);
            call(client, provider, 20_000_000); // 20 M output tokens of gpt-4o: $200 in one call

            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptionsInstanceOf(IOException.class)
                    .failFast("alert-processor exited: " + alerts.output(), () -> !alerts.isAlive())
                    .failFast("analytics exited: " + analytics.output(), () -> !analytics.isAlive())
                    .untilAsserted(() -> {
                        JsonNode received = JSON.readTree(get(amPort, "/api/v2/alerts"));
                        assertThat(received.toString()).contains("\"alertname\":\"HighAPICosts\"")
                                .contains("\"alertname\":\"" + rule + "\"");
                    });
            assertPushedByTheAlertProcessor(amPort, rule, provider);
        } finally {
            for (Process tool : tools) {
                tool.destroy();
                if (!tool.waitFor(10, TimeUnit.SECONDS)) {
                    tool.destroyForcibly();
                }
            }
        }
    }

    /** The alert processor's alert as Alertmanager holds it: its labels, severity and annotations, active. */
    private void assertPushedByTheAlertProcessor(int amPort, String rule, String provider) throws Exception {
        JsonNode pushed = null;
        for (JsonNode alert : JSON.readTree(get(amPort, "/api/v2/alerts"))) {
            if (alert.path("labels").path("alertname").asText().equals(rule)) {
                pushed = alert;
            }
        }
        assertThat(pushed).isNotNull();
        assertThat(pushed.path("labels").path("provider").asText()).isEqualTo(provider);
        assertThat(pushed.path("labels").path("severity").asText()).isEqualTo("warning");
        assertThat(pushed.path("status").path("state").asText()).isEqualTo("active");
        assertThat(pushed.path("annotations").path("summary").asText()).contains("requests on " + provider);
    }

    private static void call(ToolformerClient client, String provider, long outputTokens) throws Exception {
        assertThat(client.submit(client.newRequest("simulated", "{\"input_tokens\":10,\"output_tokens\":"
                + outputTokens + "}", Duration.ofSeconds(10)).setProvider("openai").setModel("gpt-4o")
                .setCorrelationId(provider).build(), Duration.ofSeconds(60)).get().getStatus())
                .isEqualTo(ToolStatus.SUCCESS);
        // The alert processor's rule counts the provider's requests in toolformer.slo.
        assertThat(client.submit(client.newRequest("echo", "{}", Duration.ofSeconds(10)).setProvider(provider).build(),
                Duration.ofSeconds(60)).get().getStatus()).isEqualTo(ToolStatus.SUCCESS);
    }

    private static Process alertmanager(Path dir, int port) throws IOException {
        Path config = Files.writeString(dir.resolve("alertmanager.yml"), """
                route: {receiver: "null", group_wait: 1s}
                receivers: [{name: "null"}]
                """);
        return start(dir.resolve("alertmanager.log"), ALERTMANAGER.toString(), "--config.file=" + config,
                "--storage.path=" + Files.createDirectories(dir.resolve("am-data")),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=");
    }

    /** Prometheus scraping the services every second with the repository's alert rules, alerting to Alertmanager. */
    private static Process prometheus(Path dir, int port, int amPort, List<Integer> targets) throws IOException {
        String scrape = String.join(", ", targets.stream().map(p -> "\"127.0.0.1:" + p + "\"").toList());
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                rule_files: ["%s"]
                alerting:
                  alertmanagers:
                    - static_configs: [{targets: ["127.0.0.1:%d"]}]
                scrape_configs:
                  - job_name: toolformer
                    static_configs: [{targets: [%s]}]
                """.formatted(MonitoringFiles.RULES.toAbsolutePath().normalize(), amPort, scrape));
        return start(dir.resolve("prometheus.log"), PROMETHEUS.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("prom-data")),
                "--web.listen-address=127.0.0.1:" + port);
    }

    private static Process start(Path log, String... command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
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
