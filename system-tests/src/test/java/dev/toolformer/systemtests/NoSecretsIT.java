package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.LogCapture;
import dev.toolformer.executor.tools.OpenAiChatTool;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.server.AdminToken;
import dev.toolformer.server.Pipeline;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The all-in-one configured with secrets — an OpenAI API key (used by a real openai-chat call against a
 * local stub that echoes it back in its error), the admin token, a SASL password in a Kafka property and a
 * webhook URL whose path and query are credentials (used by a real notification) — serves none of them:
 * not on the page, its scripts, any {@code /api/...} answer, the event stream, {@code /metrics} or the
 * health checks; nor do they reach the log.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class NoSecretsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ENDPOINTS = List.of("/", "/index.html", "/dashboard.js", "/dashboard.css",
            "/webjars/chart.js/4.4.7/dist/chart.umd.js", "/api/dashboard?range=15m", "/api/dashboard?range=1h",
            "/api/dashboard?range=6h", "/api/dashboard?range=24h", "/api/dashboard?range=bad", "/api/slo",
            "/api/burn-rates", "/api/cost", "/api/speculation", "/api/health", "/api/alerts", "/api/silences",
            "/metrics", "/health/live", "/health/ready", "/no-such-page", "/api/admin/silences");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(300)
    void shouldServeNoConfiguredSecret(KafkaTestCluster cluster, @TempDir Path data) throws Exception {
        String openAiKey = "sk-proj-" + UUID.randomUUID().toString().replace("-", "");
        String adminToken = "admin-" + UUID.randomUUID();
        String saslPassword = "sasl-" + UUID.randomUUID();
        String webhookPath = "hook" + UUID.randomUUID().toString().replace("-", "");
        String webhookQuery = "q" + UUID.randomUUID().toString().replace("-", "");
        List<String> secrets = List.of(openAiKey, adminToken, saslPassword, webhookPath, webhookQuery);
        String provider = cluster.uniqueName("secrets").replace('-', '_');

        List<String> authorizations = new CopyOnWriteArrayList<>();
        List<String> webhooks = new CopyOnWriteArrayList<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/v1/chat/completions", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(String.valueOf(authorization));
            // As a real provider does: the refused key comes back in the error.
            byte[] body = ("{\"error\": {\"message\": \"Incorrect API key provided: " + authorization + "\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        stub.createContext("/services", exchange -> {
            webhooks.add(exchange.getRequestURI().toString());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        stub.start();
        String webhookUrl = "http://127.0.0.1:" + stub.getAddress().getPort() + "/services/T0/B0/" + webhookPath
                + "?token=" + webhookQuery;
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: SecretsItErrors
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "errors for {{provider}}"}
                route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s}
                receivers:
                  - name: hook
                    webhooks:
                      - {url: "%s", format: slack}
                incidents:
                  - name: secrets_response
                    match: {alertname: SecretsItErrors}
                    actions: [{type: notify, receiver: hook}]
                """.formatted(provider, webhookUrl), "no-secrets");
        // Unused on the test broker's PLAINTEXT listener, but configured like any client property.
        Map<String, String> properties = new HashMap<>(cluster.settings().overrides());
        properties.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"toolformer\" password=\"" + saslPassword + "\";");
        KafkaSettings kafka = new KafkaSettings(cluster.bootstrapServers(), properties);
        Pipeline.Options options = new Pipeline.Options(kafka, data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules, AdminToken.of(adminToken));

        System.setProperty(OpenAiChatTool.API_KEY_PROPERTY, openAiKey);
        System.setProperty(OpenAiChatTool.BASE_URL_PROPERTY, "http://127.0.0.1:" + stub.getAddress().getPort() + "/v1");
        List<String> events = new CopyOnWriteArrayList<>();
        try (LogCapture logs = new LogCapture();
             Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            String base = "http://127.0.0.1:" + pipeline.httpPort();
            http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/dashboard/events"))
                    .version(HttpClient.Version.HTTP_1_1).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofLines()).thenAccept(r -> r.body().forEach(events::add));

            // The key is really used, and really refused with itself in the message.
            ToolResult chat = client.submit(client.newRequest("openai-chat",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", Duration.ofSeconds(20))
                    .setProvider(provider).setModel("gpt-4o-mini").build(), Duration.ofSeconds(60)).get();
            assertThat(chat.getStatus()).as("%s", chat.getError()).isEqualTo(ToolStatus.ERROR);
            assertThat(authorizations).contains("Bearer " + openAiKey);

            // The alert fires; its notification, sent to the secret URL, reaches the dashboard's incidents.
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                client.submit(client.newRequest("simulated", "{\"fail_probability\": 1}", Duration.ofSeconds(10))
                        .setProvider(provider).build(), Duration.ofSeconds(30)).get();
                return notified(get(base, "/api/dashboard?range=15m").body(), provider);
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.stream()
                    .anyMatch(uri -> uri.contains(webhookPath) && uri.contains(webhookQuery)));
            await().atMost(Duration.ofSeconds(30)).alias("event stream").untilAsserted(() ->
                    assertThat(String.join("\n", events)).contains(provider));

            for (String path : ENDPOINTS) {
                HttpResponse<String> response = get(base, path);
                assertThat(response.body()).as(path).isNotEmpty();
                assertNoSecret(path, response.body() + response.headers().map(), secrets);
            }
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/silences"))
                    .header("Authorization", "Bearer " + adminToken + "x").POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertNoSecret("refused admin request", refused.body() + refused.headers().map(), secrets);
            assertNoSecret("event stream", String.join("\n", events), secrets);
            // What reaches the log output, after its masking converters.
            assertNoSecret("log", String.join("\n", logs.lines().stream().map(Redactor::redact).toList()), secrets);
        } finally {
            System.clearProperty(OpenAiChatTool.API_KEY_PROPERTY);
            System.clearProperty(OpenAiChatTool.BASE_URL_PROPERTY);
            stub.stop(0);
        }
    }

    private static boolean notified(String dashboard, String provider) throws Exception {
        for (JsonNode item : JSON.readTree(dashboard).get("incidents")) {
            JsonNode value = item.get("value");
            if (value.get("action").asText().equals("notify") && value.get("outcome").asText().equals("EXECUTED")
                    && value.get("alert_fingerprint").asText().contains(provider)) {
                return true;
            }
        }
        return false;
    }

    private static void assertNoSecret(String where, String text, List<String> secrets) {
        for (String secret : secrets) {
            assertThat(text).as(where).doesNotContain(secret);
        }
    }

    private HttpResponse<String> get(String base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
