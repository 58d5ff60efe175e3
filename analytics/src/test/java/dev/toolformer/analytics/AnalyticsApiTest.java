package dev.toolformer.analytics;

import static dev.toolformer.analytics.AnalyticsDriver.WALL_CLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.javalin.Javalin;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyticsApiTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;

    private final List<Javalin> servers = new ArrayList<>();
    private final List<AnalyticsDriver> drivers = new ArrayList<>();
    private AnalyticsDriver driver;
    private Javalin server;

    @AfterEach
    void close() {
        servers.forEach(Javalin::stop);
        drivers.forEach(AnalyticsDriver::close);
    }

    @Test
    void shouldAnswerEveryAggregateFromTheStateStores() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir);
        driver = driver(config);
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(10), 100, 50, 0.25));
        driver.pipe("echo", "local", ToolStatus.ERROR, T0.plusSeconds(20), 20);
        ToolResult speculative = ToolResult.newBuilder(driver.result("search", "local", ToolStatus.SUCCESS,
                T0.plusSeconds(29), T0.plusSeconds(29), T0.plusSeconds(30))).setSpeculative(true).build();
        driver.pipe(speculative);
        driver.pipe(AnalyticsDriver.outcome(speculative, true, T0.plusSeconds(31)));
        driver.pipe(AnalyticsDriver.heartbeat("exec-1", WALL_CLOCK, 3));
        driver.advanceWallClock(Duration.ofMinutes(1));
        start(config, driverStores());

        JsonNode slo = get("/api/slo?from=2026-01-01T12:00:00Z&to=2026-01-01T12:00:00Z", 200);
        assertThat(slo.findValuesAsText("tool")).containsExactly("*", "chat", "echo", "search");
        assertThat(slo.get(0).get("requests").asLong()).isEqualTo(3);
        assertThat(slo.get(0).get("window_start").asText()).isEqualTo("2026-01-01T12:00:00Z");
        assertThat(slo.get(0).get("is_final").asBoolean()).isTrue();
        JsonNode burnRates = get("/api/burn-rates", 200);
        assertThat(burnRates.findValuesAsText("slo")).containsExactly("availability", "latency");
        assertThat(burnRates.get(0).get("windows").get(6).get("bad").asLong()).isEqualTo(1);
        JsonNode cost = get("/api/cost?from=2026-01-01T12:00:00Z&to=2026-01-01T12:00:00Z", 200);
        assertThat(cost).extracting(c -> c.get("provider").asText() + "/" + c.get("model").asText() + "/"
                + c.get("window_size").asText()).containsExactly("local/none/1h", "openai/gpt-4o/1h",
                "local/none/1m", "openai/gpt-4o/1m");
        assertThat(cost.get(1).get("cost_usd").asDouble()).isEqualTo(0.25);
        JsonNode speculation = get("/api/speculation?from=2026-01-01T12:00:00Z&to=2026-01-01T12:00:00Z", 200);
        assertThat(speculation.findValuesAsText("tool")).containsExactly("*", "search");
        assertThat(speculation.get(0).get("hits").asLong()).isEqualTo(1);
        JsonNode health = get("/api/health", 200);
        assertThat(health.findValuesAsText("state")).containsExactly("UP");
        assertThat(health.get(0).get("last_seen").asText()).isEqualTo("2026-01-01T13:00:00Z");
    }

    @Test
    void shouldDefaultToTheLastHourOfWindows() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir);
        driver = driver(config);
        driver.pipe("echo", "local", ToolStatus.SUCCESS, WALL_CLOCK.minus(Duration.ofMinutes(61)), 20);
        driver.pipe("echo", "local", ToolStatus.SUCCESS, WALL_CLOCK.minus(Duration.ofMinutes(30)), 20);
        start(config, driverStores());

        JsonNode slo = get("/api/slo", 200);

        assertThat(slo.findValuesAsText("window_start")).containsOnly("2026-01-01T12:30:00Z");
    }

    @Test
    void shouldRejectAnInstantThatIsNotIso8601() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir);
        driver = driver(config);
        start(config, driverStores());

        JsonNode error = get("/api/cost?from=yesterday", 400);

        assertThat(error.get("error").asText())
                .isEqualTo("from must be an ISO-8601 instant such as 2026-01-01T12:00:00Z, was 'yesterday'");
    }

    @Test
    void shouldMergeTheAnswersOfThePeerInstances() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir.resolve("a"));
        driver = driver(config);
        driver.pipe(AnalyticsDriver.heartbeat("exec-2", WALL_CLOCK, 3));
        Javalin peer = serve(config, driverStores(), Peers.none());
        driver = driver(AnalyticsConfig.defaults(stateDir.resolve("b")));
        driver.pipe(AnalyticsDriver.heartbeat("exec-1", WALL_CLOCK, 3));
        start(config, driverStores(), new Peers(() -> List.of("127.0.0.1:" + peer.port())));

        assertThat(get("/api/health", 200).findValuesAsText("executor_id")).containsExactly("exec-1", "exec-2");
        assertThat(get("/api/health?local=true", 200).findValuesAsText("executor_id")).containsExactly("exec-1");
    }

    @Test
    void shouldAnswerBadGatewayWhenAPeerDoesNotAnswer() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir);
        driver = driver(config);
        start(config, driverStores(), new Peers(() -> List.of("127.0.0.1:1")));

        assertThat(get("/api/burn-rates", 502).get("error").asText())
                .startsWith("analytics instance 127.0.0.1:1 did not answer: java.net.ConnectException");
    }

    @Test
    void shouldAnswerServiceUnavailableWhileStoresAreNotQueryable() throws Exception {
        AnalyticsConfig config = AnalyticsConfig.defaults(stateDir);
        start(config, new AnalyticsQueries.StoreSource() {
            @Override
            public <V> ReadOnlyWindowStore<String, V> windowStore(String name) {
                throw new InvalidStateStoreException("rebalancing");
            }

            @Override
            public <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name) {
                throw new InvalidStateStoreException("rebalancing");
            }
        });

        for (String path : List.of("/api/slo", "/api/burn-rates", "/api/cost", "/api/speculation", "/api/health")) {
            assertThat(get(path, 503).get("error").asText())
                    .isEqualTo("analytics state is not queryable yet: rebalancing");
        }
    }

    private AnalyticsDriver driver(AnalyticsConfig config) {
        AnalyticsDriver created = new AnalyticsDriver(config);
        drivers.add(created);
        return created;
    }

    /** The stores of the current driver. */
    private AnalyticsQueries.StoreSource driverStores() {
        AnalyticsDriver current = driver;
        return new AnalyticsQueries.StoreSource() {
            @Override
            public <V> ReadOnlyWindowStore<String, V> windowStore(String name) {
                return current.driver.getWindowStore(name);
            }

            @Override
            public <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name) {
                return current.driver.getKeyValueStore(name);
            }
        };
    }

    private void start(AnalyticsConfig config, AnalyticsQueries.StoreSource stores) {
        start(config, stores, Peers.none());
    }

    private void start(AnalyticsConfig config, AnalyticsQueries.StoreSource stores, Peers peers) {
        server = serve(config, stores, peers);
    }

    private Javalin serve(AnalyticsConfig config, AnalyticsQueries.StoreSource stores, Peers peers) {
        long now = WALL_CLOCK.toEpochMilli();
        AnalyticsApi api = new AnalyticsApi(new AnalyticsQueries(stores, config, () -> now), peers, () -> now);
        Javalin started = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.jetty.host = "127.0.0.1";
            c.jetty.port = 0;
            api.register(c);
        }).start();
        servers.add(started);
        return started;
    }

    private JsonNode get(String path, int status) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + path);
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
            return JSON.readTree(response.body());
        }
    }
}
