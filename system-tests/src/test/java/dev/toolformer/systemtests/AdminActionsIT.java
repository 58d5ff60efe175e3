package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.LogCapture;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ToolRequest;
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
 * The admin endpoints of the all-in-one over real HTTP on a real broker: without the token or with a
 * wrong one nothing happens (401); with it a silence is created that the alert processor honours (the
 * alert it matches fires silenced) and then expires, a firing alert is acknowledged, and a slow request
 * is cancelled through toolformer.control and finishes CANCELLED. The token is never logged.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class AdminActionsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "it-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @Test
    @Timeout(360)
    void shouldSilenceAcknowledgeAndCancelOnlyWithTheToken(KafkaTestCluster cluster, @TempDir Path data)
            throws Exception {
        String silenced = cluster.uniqueName("adm-silenced").replace('-', '_');
        String acked = cluster.uniqueName("adm-acked").replace('-', '_');
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: AdminItSilenced
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: warning
                    match: {provider: "%s"}
                    annotations: {summary: "errors for {{provider}}"}
                  - name: AdminItAcked
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: warning
                    match: {provider: "%s"}
                    annotations: {summary: "errors for {{provider}}"}
                """.formatted(silenced, acked), "admin-it");
        Pipeline.Options options = new Pipeline.Options(cluster.settings(), data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules).withAdminToken(AdminToken.of(TOKEN));
        try (LogCapture logs = new LogCapture();
             Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka());
             PipelineWatcher watcher = new PipelineWatcher(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            base = "http://127.0.0.1:" + pipeline.httpPort();
            String marker = cluster.uniqueName("unauthorized");
            String unauthorizedRequest = cluster.uniqueName("req-unauthorized");

            // Without the token, or with a wrong one: 401 and nothing written.
            for (String authorization : new String[] {null, "Bearer wrong-" + TOKEN, "Basic " + TOKEN}) {
                assertUnauthorized(send("POST", "/api/admin/silences", silenceBody(marker), authorization));
                assertUnauthorized(send("DELETE", "/api/admin/silences/silence:x", "", authorization));
                assertUnauthorized(send("POST", "/api/admin/alerts/" + encode("AdminItAcked{provider=" + acked + "}")
                        + "/ack", "", authorization));
                assertUnauthorized(send("POST", "/api/admin/requests/" + unauthorizedRequest + "/cancel", "",
                        authorization));
            }

            // A silence, created with the token, is honoured: the alert it matches fires silenced.
            HttpResponse<String> created = send("POST", "/api/admin/silences", silenceBody(silenced), bearer());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode silence = JSON.readTree(created.body());
            String silenceId = silence.get("id").asText();
            assertThat(silenceId).startsWith("silence:");
            assertThat(silence.get("created_by").asText()).isEqualTo("it-admin");
            assertThat(silence.get("matchers").get("provider").asText()).isEqualTo(silenced);
            await().atMost(Duration.ofSeconds(60)).until(() -> silenceIds().contains(silenceId));
            // The topic has one partition: the refused silence, had it been written, would be seen by now.
            assertThat(get("/api/silences").findValuesAsText("provider")).doesNotContain(marker);

            fireAlert(client, watcher, silenced);
            assertThat(watcher.alerts(silenced)).first().satisfies(alert -> {
                assertThat(alert.getState()).isEqualTo(AlertState.FIRING);
                assertThat(alert.getSilenced()).isTrue();
            });

            // Expiring it removes it from the processor's view; a second expiry finds nothing.
            HttpResponse<String> expired = send("DELETE", "/api/admin/silences/" + encode(silenceId), "", bearer());
            assertThat(expired.statusCode()).as(expired.body()).isEqualTo(200);
            assertThat(JSON.readTree(expired.body()).get("expired").asText()).isEqualTo(silenceId);
            await().atMost(Duration.ofSeconds(60)).until(() -> !silenceIds().contains(silenceId));
            HttpResponse<String> again = send("DELETE", "/api/admin/silences/" + encode(silenceId), "", bearer());
            assertThat(again.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(again.body()).get("field").asText()).isEqualTo("id");

            // Acknowledging a firing alert by its fingerprint.
            fireAlert(client, watcher, acked);
            AlertEvent firing = watcher.alerts(acked).getFirst();
            assertThat(firing.getAcknowledged()).isFalse();
            String fingerprint = firing.getFingerprint();
            HttpResponse<String> ack = send("POST", "/api/admin/alerts/" + encode(fingerprint) + "/ack",
                    "{\"duration\": \"1h\", \"comment\": \"looking into it\", \"author\": \"it-admin\"}", bearer());
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(200);
            assertThat(JSON.readTree(ack.body()).get("acknowledged").asText()).isEqualTo(fingerprint);
            assertThat(JSON.readTree(ack.body()).get("state").asText()).isEqualTo("FIRING");
            await().atMost(Duration.ofSeconds(60)).until(() -> silenceIds().contains("ack:" + fingerprint));
            JsonNode entry = entry("ack:" + fingerprint);
            assertThat(entry.get("kind").asText()).isEqualTo("ACKNOWLEDGEMENT");
            assertThat(entry.get("fingerprint").asText()).isEqualTo(fingerprint);
            assertThat(entry.get("comment").asText()).isEqualTo("looking into it");
            // What makes the processor count the episode as acknowledged (Silences.acknowledges).
            assertThat(Instant.parse(entry.get("created_at").asText())).isAfterOrEqualTo(firing.getActiveSince());
            assertThat(Instant.parse(entry.get("ends_at").asText())).isAfter(Instant.now());
            // ... and what 'toolformer alerts' reports.
            assertThat(Silences.readAll(pipeline.kafka())).anyMatch(s -> Silences.acknowledges(s, fingerprint,
                    firing.getActiveSince(), Instant.now()));
            HttpResponse<String> unknown = send("POST", "/api/admin/alerts/" + encode("NoSuchAlert{provider=" + acked
                    + "}") + "/ack", "", bearer());
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(unknown.body()).get("field").asText()).isEqualTo("fingerprint");

            // Cancelling a slow request: a CANCEL command on toolformer.control, and a CANCELLED result.
            ToolRequest slow = client.newRequest("simulated", "{\"latency_ms\": 120000}", Duration.ofSeconds(180))
                    .setProvider(cluster.uniqueName("adm-cancel")).build();
            String requestId = slow.getRequestId();
            CompletableFuture<ToolResult> result = client.submit(slow, Duration.ofSeconds(200));
            HttpResponse<String> cancel = send("POST", "/api/admin/requests/" + encode(requestId) + "/cancel",
                    "{\"reason\": \"runaway\", \"author\": \"it-admin\"}", bearer());
            assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
            String commandId = JSON.readTree(cancel.body()).get("command_id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> !watcher.controlForRequest(requestId).isEmpty());
            assertThat(watcher.controlForRequest(requestId)).singleElement().satisfies(c -> {
                assertThat(c.getAction()).isEqualTo(ControlAction.CANCEL);
                assertThat(c.getCommandId()).isEqualTo(commandId);
                assertThat(c.getIssuedBy()).isEqualTo("it-admin");
                assertThat(c.getReason()).isEqualTo("runaway");
            });
            // Same key ("*"), same partition: a refused cancel would have come before the accepted one.
            assertThat(watcher.controlForRequest(unauthorizedRequest)).isEmpty();
            ToolResult cancelled = result.get(90, TimeUnit.SECONDS);
            assertThat(cancelled.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(cancelled.getError().getMessage()).contains(commandId).contains("runaway");

            assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains("Admin API: " + silenceId));
            assertThat(logs.lines()).noneMatch(line -> line.contains(TOKEN));
        }
    }

    private static String silenceBody(String provider) {
        return "{\"matchers\": {\"provider\": \"" + provider + "\"}, \"duration\": \"30m\","
                + " \"comment\": \"admin IT\", \"author\": \"it-admin\"}";
    }

    /** Fails calls of {@code provider} until its alert fires. */
    private static void fireAlert(ToolformerClient client, PipelineWatcher watcher, String provider) {
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            client.submit(client.newRequest("simulated", "{\"fail_probability\": 1}", Duration.ofSeconds(10))
                    .setProvider(provider).build(), Duration.ofSeconds(30)).get();
            return !watcher.alerts(provider).isEmpty();
        });
    }

    private static void assertUnauthorized(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                v -> assertThat(v).startsWith("Bearer "));
        assertThat(response.body()).doesNotContain(TOKEN);
    }

    private static String bearer() {
        return "Bearer " + TOKEN;
    }

    private List<String> silenceIds() throws Exception {
        return get("/api/silences").findValuesAsText("id");
    }

    private JsonNode entry(String id) throws Exception {
        for (JsonNode e : get("/api/silences")) {
            if (e.get("id").asText().equals(id)) {
                return e;
            }
        }
        throw new AssertionError("no entry " + id);
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = send("GET", path, "", null);
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (!body.isEmpty()) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One path segment, percent-encoded (fingerprints hold braces, '=', ',' and '*'). */
    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
