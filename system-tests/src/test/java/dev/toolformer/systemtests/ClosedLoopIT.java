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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.server.Pipeline;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on a real broker with the real services, through a provider outage of many minutes of
 * event time: the alert fires, the incident rule opens the breaker (with probing) on the executor and
 * notifies a local webhook receiver; while the provider keeps failing, the breaker's fast refusals are
 * UNAVAILABLE results that count as failed, so the alert stays FIRING whatever the breaker hides. When the
 * provider recovers, the breaker's probes succeed and close it (no CLOSE_BREAKER is ever sent), calls
 * succeed, and the alert resolves exactly once. The executor and the agent read a clock {@value #SPEED} times
 * faster than the wall (deadlines, the breaker's probe delay); analytics bounds event times by the broker's
 * clock, so its SLO windows are made {@value #WINDOW_SECONDS} s long and the rule's durations seconds, which
 * lets the outage run its course in well under a minute. The pipeline runs on a broker of its own.
 */
@Tag("integration")
class ClosedLoopIT {
    private static final int SPEED = 20;
    private static final int WINDOW_SECONDS = 5;
    private static final Pattern UNAVAILABLE_COUNT = Pattern.compile(
            "orchestrator_requests_total\\{method=\"simulated\",provider=\"([^\"]+)\",status=\"unavailable\"} (\\S+)");

    @Test
    @Timeout(300)
    void shouldKeepTheAlertFiringThroughAnOutageAndLetProbesCloseTheBreaker(@TempDir Path data) throws Exception {
        String provider = "outage_provider";
        List<String> webhooks = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            webhooks.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: ProviderDown
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 10s
                    keep_firing_for: 10s
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "{{provider}} fails {{value}} of its calls"}
                route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s}
                receivers:
                  - name: hook
                    webhooks:
                      - {url: "http://127.0.0.1:%d/hook", format: slack}
                incidents:
                  - name: outage_response
                    match: {alertname: ProviderDown}
                    actions: [{type: circuit_breaker, probe_after: 2s}, {type: notify, receiver: hook}]
                """.formatted(provider, receiver.getAddress().getPort()), "closed-loop");
        // The agent runs on the executors' fast clock too: a request's deadline counts from its submission.
        FastClock clock = new FastClock(SPEED);
        Pipeline.Options options = new Pipeline.Options(null, data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules).withExecutorClock(clock)
                .withAnalytics(a -> a.withWindowSize(Duration.ofSeconds(WINDOW_SECONDS)).withGrace(Duration.ofSeconds(5)));
        AtomicBoolean failing = new AtomicBoolean(true);
        Map<ToolStatus, Long> statuses = new ConcurrentHashMap<>();
        List<ToolResult> latest = new CopyOnWriteArrayList<>();
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka(), clock);
             PipelineWatcher watcher = new PipelineWatcher(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            client.onResult(r -> {
                if (provider.equals(r.getProvider())) {
                    statuses.merge(r.getStatus(), 1L, Long::sum);
                    latest.add(r);
                }
            });
            Thread load = Thread.ofPlatform().daemon().name("outage-load").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    client.publish(client.newRequest("simulated", "{\"latency_ms\":5,\"fail_probability\":"
                            + (failing.get() ? 1 : 0) + "}", Duration.ofSeconds(10)).setProvider(provider).build());
                    try {
                        Thread.sleep(25);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                // The outage: the alert fires, the breaker opens with probing, the receiver is told.
                await().atMost(Duration.ofSeconds(120)).until(() -> states(watcher, provider).contains(AlertState.FIRING));
                await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.stream().anyMatch(w -> w.contains(provider)));
                assertThat(watcher.controlForProvider(provider)).singleElement().satisfies(c -> {
                    assertThat(c.getAction()).isEqualTo(ControlAction.OPEN_BREAKER);
                    assertThat(c.getProbeAfterMs()).isEqualTo(2_000L);
                });
                // Six more minutes of event time with the provider down, its calls refused by the breaker.
                Thread.sleep(Duration.ofMinutes(6).dividedBy(SPEED));
                await().atMost(Duration.ofSeconds(60)).until(() -> statuses.getOrDefault(ToolStatus.UNAVAILABLE, 0L) > 100);
                assertThat(states(watcher, provider)).as("alert states during the outage")
                        .containsExactly(AlertState.PENDING, AlertState.FIRING);
                assertThat(watcher.windows("simulated", provider)).as("SLO windows during the outage")
                        .anySatisfy(w -> {
                            assertThat(w.getUnavailable()).isGreaterThan(10);
                            assertThat(w.getErrorRate()).isEqualTo(1.0);
                            assertThat(w.getAvailability()).isEqualTo(0.0);
                        })
                        .filteredOn(w -> w.getRequests() >= 10 && w.getUnavailable() > 0)
                        .allSatisfy(w -> assertThat(w.getErrorRate()).isGreaterThan(0.5));
                assertThat(unavailableOnMetrics(pipeline.httpPort(), provider)).isGreaterThan(0);

                // The provider recovers: probes succeed and close the breaker, the alert resolves once.
                failing.set(false);
                await().atMost(Duration.ofSeconds(150)).until(() -> states(watcher, provider).contains(AlertState.RESOLVED));
                int resolvedAt = latest.size();
                await().atMost(Duration.ofSeconds(30)).until(() -> latest.size() > resolvedAt + 20);
            } finally {
                load.interrupt();
                load.join();
            }
            assertThat(states(watcher, provider)).as("alert states of the whole outage")
                    .containsExactly(AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED);
            assertThat(watcher.controlForProvider(provider)).extracting(ControlCommand::getAction)
                    .as("the breaker is never closed by a command").containsExactly(ControlAction.OPEN_BREAKER);
            assertThat(pipeline.executorStats().breakersClosedByProbes()).isGreaterThanOrEqualTo(1);
            assertThat(latest.subList(latest.size() - 10, latest.size())).extracting(ToolResult::getStatus)
                    .containsOnly(ToolStatus.SUCCESS);
        } finally {
            receiver.stop(0);
        }
    }

    private static List<AlertState> states(PipelineWatcher watcher, String provider) {
        return watcher.alerts(provider).stream().map(AlertEvent::getState).toList();
    }

    private static double unavailableOnMetrics(int port, String provider) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = UNAVAILABLE_COUNT.matcher(scrape);
            while (m.find()) {
                if (m.group(1).equals(provider)) {
                    return Double.parseDouble(m.group(2));
                }
            }
            return 0;
        }
    }

    /** A clock that runs {@code speed} times faster than the wall, from now on. */
    private static final class FastClock extends Clock {
        private final Instant start = Instant.now();
        private final long startNanos = System.nanoTime();
        private final int speed;

        FastClock(int speed) {
            this.speed = speed;
        }

        @Override
        public Instant instant() {
            return start.plusNanos((System.nanoTime() - startNanos) * speed);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("UTC only");
        }
    }
}
