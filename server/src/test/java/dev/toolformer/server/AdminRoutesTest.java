package dev.toolformer.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.embedded.testing.LogCapture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin endpoints' gate and input checks on a real HTTP server. Every request here is refused or
 * invalid before any Kafka call, so the actions point at a port where no broker listens; what valid
 * requests do is {@code AdminActionsIT}'s subject.
 */
class AdminRoutesTest {
    private static final String TOKEN = "test-admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String[]> ENDPOINTS = List.of(
            new String[] {"POST", "/api/admin/silences", "{\"matchers\":{\"alertname\":\"X\"}}"},
            new String[] {"DELETE", "/api/admin/silences/silence:1", ""},
            new String[] {"POST", "/api/admin/alerts/HighLatency%7Btool%3D*%7D/ack", ""},
            new String[] {"POST", "/api/admin/requests/req-1/cancel", ""});

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : started) {
            c.close();
        }
        metrics.close();
    }

    @Test
    void shouldRefuseEveryAdminRequestWhenNoTokenIsConfigured() throws Exception {
        String base = serve(AdminToken.disabled());

        for (String[] e : ENDPOINTS) {
            HttpResponse<String> response = send(base, e[0], e[1], e[2], "Bearer " + TOKEN);
            assertThat(response.statusCode()).as(e[1]).isEqualTo(403);
            assertThat(error(response)).isEqualTo("admin endpoints are disabled: no admin token is configured"
                    + " (set TOOLFORMER_ADMIN_TOKEN or start with --admin-token-file FILE to enable them)");
        }
    }

    @Test
    void shouldChallengeRequestsWithoutABearerToken() throws Exception {
        String base = serve(AdminToken.of(TOKEN));

        for (String[] e : ENDPOINTS) {
            HttpResponse<String> response = send(base, e[0], e[1], e[2], null);
            assertThat(response.statusCode()).as(e[1]).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"toolformer\"");
            assertThat(error(response)).isEqualTo("missing bearer token: send 'Authorization: Bearer <token>'");
        }
    }

    @Test
    void shouldRefuseAWrongTokenWithoutEchoingOrLoggingIt() throws Exception {
        String base = serve(AdminToken.of(TOKEN));
        List<String> wrong = List.of("Bearer wrong-token-0123456789", "Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1),
                "Bearer " + TOKEN.toUpperCase(Locale.ROOT), "Basic " + TOKEN, TOKEN, "Bearer",
                "Bearer " + TOKEN + " " + TOKEN);

        try (LogCapture logs = new LogCapture()) {
            for (String authorization : wrong) {
                for (String[] e : ENDPOINTS) {
                    HttpResponse<String> response = send(base, e[0], e[1], e[2], authorization);
                    assertThat(response.statusCode()).as(authorization + " " + e[1]).isEqualTo(401);
                    assertThat(response.headers().firstValue("WWW-Authenticate"))
                            .hasValue("Bearer realm=\"toolformer\", error=\"invalid_token\"");
                    assertThat(error(response)).isEqualTo("invalid bearer token");
                    assertThat(response.body()).doesNotContain(TOKEN.substring(1, TOKEN.length() - 1))
                            .doesNotContain("wrong-token");
                }
            }
            assertThat(logs.lines()).anySatisfy(line -> assertThat(line)
                    .contains("Refused POST /api/admin/silences from 127.0.0.1: invalid bearer token"));
            assertThat(logs.lines()).noneMatch(line -> line.contains(TOKEN.substring(1, TOKEN.length() - 1))
                    || line.contains("wrong-token"));
        }
    }

    @Test
    void shouldHideUnknownAdminPathsFromAnonymousCallers() throws Exception {
        String base = serve(AdminToken.of(TOKEN));

        assertThat(send(base, "POST", "/api/admin/nothing/here", "", null).statusCode()).isEqualTo(401);
        assertThat(send(base, "POST", "/api/admin/nothing/here", "", "Bearer " + TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void shouldKeepReadOnlyEndpointsOpen() throws Exception {
        String base = serve(AdminToken.of(TOKEN));

        assertThat(send(base, "GET", "/health/live", "", null).statusCode()).isEqualTo(200);
        assertThat(send(base, "GET", "/health/ready", "", null).statusCode()).isEqualTo(200);
        assertThat(send(base, "GET", "/metrics", "", null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldRenderOnlyTheMetricFamiliesNamedWhenAsked() throws Exception {
        metrics.gauge("toolformer_executor_in_flight", 42);
        metrics.counter("toolformer_requests").increment();
        String base = serve(AdminToken.of(TOKEN));

        String all = send(base, "GET", "/metrics", "", null).body();
        String one = send(base, "GET", "/metrics?name%5B%5D=toolformer_executor_in_flight", "", null).body();
        // Family names, as the Prometheus client takes them: a counter's without its _total.
        String two = send(base, "GET", "/metrics?name[]=toolformer_executor_in_flight&name[]=toolformer_requests",
                "", null).body();

        assertThat(all).contains("toolformer_executor_in_flight 42.0", "toolformer_requests_total 1.0");
        assertThat(one).contains("toolformer_executor_in_flight 42.0").doesNotContain("toolformer_requests");
        assertThat(two).contains("toolformer_executor_in_flight 42.0", "toolformer_requests_total 1.0");
    }

    @Test
    void shouldFailLivenessWithTheReasonWhileACheckSaysItIsStuckAndRecoverAfter() throws Exception {
        AtomicReference<Optional<String>> stalled = new AtomicReference<>(Optional.empty());
        AdminHttpServer server = AdminHttpServer.start("127.0.0.1", 0, metrics,
                new HealthChecks().live("executor", stalled::get), null, config -> { });
        started.add(server);
        String base = "http://127.0.0.1:" + server.port();
        assertThat(send(base, "GET", "/health/live", "", null).statusCode()).isEqualTo(200);

        stalled.set(Optional.of("the poll loop of executor e-1 has made no progress for 130 s"));
        HttpResponse<String> stuck = send(base, "GET", "/health/live", "", null);

        assertThat(stuck.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(stuck.body()).path("checks").path("executor").asText())
                .isEqualTo("the poll loop of executor e-1 has made no progress for 130 s");
        stalled.set(Optional.empty());
        assertThat(send(base, "GET", "/health/live", "", null).statusCode()).isEqualTo(200);
    }

    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("POST", "/api/admin/silences", "", "body", "the body is empty: expected a JSON object"),
                Arguments.of("POST", "/api/admin/silences", "{matchers", "body", null),
                Arguments.of("POST", "/api/admin/silences", "[]", "body", "the body is array: expected a JSON object"),
                Arguments.of("POST", "/api/admin/silences", "{}", "matchers", "matchers is missing: expected an object"
                        + " of label to value, e.g. {\"alertname\": \"HighLatency\"}"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{}}", "matchers",
                        "matchers is empty: expected at least one label=value"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":\"tool=x\"}", "matchers",
                        "matchers is string: expected an object of label to value"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":1}}", "matchers",
                        "matcher tool is not a string"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"to ol\":\"x\"}}", "matchers", null),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"\"}}", "matchers", null),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"duration\":\"soon\"}",
                        "duration", "duration 'soon' is not a duration: expected e.g. 30m, 2h, 1h30m, 7d or ISO-8601"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"duration\":\"0s\"}",
                        "duration", "duration is PT0S: expected more than 0 and at most 90d"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"duration\":\"PT-1H\"}",
                        "duration", null),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"duration\":\"365d\"}",
                        "duration", null),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"duration\":120}",
                        "duration", "duration must be a string"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"comment\":5}",
                        "comment", "comment must be a string"),
                Arguments.of("POST", "/api/admin/silences", "{\"matchers\":{\"tool\":\"x\"},\"author\":\""
                        + "a".repeat(1001) + "\"}", "author", null),
                Arguments.of("POST", "/api/admin/silences", "{\"matcher\":{\"tool\":\"x\"}}", "matcher",
                        "unknown field 'matcher': expected matchers, duration, comment, author"),
                Arguments.of("DELETE", "/api/admin/silences/silence:1", "{\"force\":true}", "force", null),
                Arguments.of("DELETE", "/api/admin/silences/" + "x".repeat(600), "", "id", null),
                Arguments.of("POST", "/api/admin/alerts/A%7Bmodel%3Dopenai%2Fgpt%7D/ack", "{\"duration\":\"forever\"}",
                        "duration", null),
                Arguments.of("POST", "/api/admin/alerts/A/ack", "{\"matchers\":{}}", "matchers", null),
                Arguments.of("POST", "/api/admin/alerts/bad%0Aline/ack", "", "fingerprint", null),
                Arguments.of("POST", "/api/admin/requests/req-1/cancel", "{\"reason\":[1]}", "reason",
                        "reason must be a string"),
                Arguments.of("POST", "/api/admin/requests/%20/cancel", "", "request_id", null));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> 400 {3}")
    @MethodSource("badInput")
    void shouldAnswer400NamingTheField(String method, String path, String body, String field, String message)
            throws Exception {
        String base = serve(AdminToken.of(TOKEN));

        HttpResponse<String> response = send(base, method, path, body, "bearer " + TOKEN);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode json = JSON.readTree(response.body());
        assertThat(json.get("field").asText()).isEqualTo(field);
        if (message != null) {
            assertThat(json.get("error").asText()).isEqualTo(message);
        }
    }

    @Test
    void shouldWarnWhenReachableFromOtherHostsWithoutAToken() {
        AdminRoutes disabled = new AdminRoutes(AdminToken.disabled(), actions(), EnumSet.allOf(AdminRoutes.Scope.class));
        try (LogCapture logs = new LogCapture()) {
            AdminHttpServer.warnIfReachable("127.0.0.1", disabled);
            assertThat(logs.lines()).noneMatch(line -> line.contains("reachable"));

            AdminHttpServer.warnIfReachable("0.0.0.0", disabled);
            assertThat(logs.lines()).containsExactly("WARN " + AdminHttpServer.class.getName() + " - HTTP on 0.0.0.0"
                    + " is reachable from other hosts and no admin token is configured: admin actions are disabled"
                    + " (set TOOLFORMER_ADMIN_TOKEN or start with --admin-token-file FILE to enable them);"
                    + " read-only endpoints are unauthenticated");
        }
    }

    @Test
    void shouldTellLoopbackFromOtherAddresses() {
        assertThat(AdminHttpServer.isLoopback("127.0.0.1")).isTrue();
        assertThat(AdminHttpServer.isLoopback("::1")).isTrue();
        assertThat(AdminHttpServer.isLoopback("localhost")).isTrue();
        assertThat(AdminHttpServer.isLoopback("0.0.0.0")).isFalse();
        assertThat(AdminHttpServer.isLoopback("::")).isFalse();
        assertThat(AdminHttpServer.isLoopback("10.1.2.3")).isFalse();
    }

    private static AdminActions actions() {
        // Nothing listens on the discard port: a test that reached Kafka would fail rather than act.
        return new AdminActions(KafkaSettings.of("127.0.0.1:9"));
    }

    private String serve(AdminToken token) {
        AdminHttpServer server = AdminHttpServer.start("127.0.0.1", 0, metrics, new HealthChecks(),
                new AdminRoutes(token, actions(), EnumSet.allOf(AdminRoutes.Scope.class)), config -> { });
        started.add(server);
        return "http://127.0.0.1:" + server.port();
    }

    private HttpResponse<String> send(String base, String method, String path, String body, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (!body.isEmpty()) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("error").asText();
    }
}
