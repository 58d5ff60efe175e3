package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ToolResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert processor is restarted while its alert fires, and again right after the alert resolved but
 * before the resolution was due to be sent (the route's group_interval holds it back). The receiver must
 * get exactly one "firing" and exactly one "resolved" notification: no duplicate, no lost resolve.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class AlertProcessorRestartIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(360)
    void shouldNotifyOnceAndResolveOnceAcrossRestarts(KafkaTestCluster cluster, @TempDir Path state) throws Exception {
        KafkaSettings kafka = cluster.settings();
        String provider = cluster.uniqueName("alert_restart").replace('-', '_');
        List<JsonNode> notifications = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            if (body.toString().contains(provider)) {
                notifications.add(body);
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: RestartErrorRate
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "{{provider}} fails {{value}} of its calls"}
                route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 30s,
                        repeat_interval: 1h}
                receivers:
                  - name: hook
                    webhooks:
                      - {url: "http://127.0.0.1:%d/hook", format: alertmanager}
                """.formatted(provider, receiver.getAddress().getPort()), "alert-restart");
        AlertConfig alertConfig = new AlertConfig(cluster.uniqueName("alerts"), rules, state.resolve("alerts"));
        List<AlertEvent> events = new CopyOnWriteArrayList<>();
        AvroSerde<AlertEvent> alerts = AvroSerde.of(AlertEvent.class);
        ExecutorConfig executorConfig = ExecutorConfig.builder(cluster.uniqueName("executor"))
                .groupId(cluster.uniqueName("executor-group")).build();
        AlertProcessorService processor = new AlertProcessorService(alertConfig, kafka);
        try (TopicTail tail = new TopicTail(kafka, List.of(Topics.ALERTS), r -> {
                 AlertEvent e = alerts.decode(r.value());
                 if (provider.equals(e.getLabels().get("provider"))) {
                     events.add(e);
                 }
             });
             ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                     Pricing.defaults(), new SimpleMeterRegistry());
             AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(state.resolve("analytics"))
                     .withApplicationId(cluster.uniqueName("analytics")), kafka);
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            analytics.start();
            processor.start();

            calls(client, provider, 10, 1);
            await().atMost(Duration.ofSeconds(120)).until(() -> count(notifications, "firing") == 1);

            // Restart while the alert fires: the new instance must not notify it again.
            processor.close();
            processor = new AlertProcessorService(alertConfig, kafka);
            processor.start();

            // The provider recovers; the alert resolves once calls succeed again — if the failures opened the
            // executor's breaker, its refusals count as failed until its probes succeed, so keep calling.
            // Restart as soon as the resolution is on the topic, well inside the 30 s group_interval that holds
            // its notification back.
            calls(client, provider, 40, 0);
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                if (events.stream().anyMatch(e -> e.getState() == AlertState.RESOLVED)) {
                    return true;
                }
                calls(client, provider, 1, 0); // refused while the breaker is open; counted as failed
                return false;
            });
            boolean sentBeforeRestart = count(notifications, "resolved") > 0;
            processor.close();
            processor = new AlertProcessorService(alertConfig, kafka);
            processor.start();

            await().atMost(Duration.ofSeconds(120)).until(() -> count(notifications, "resolved") >= 1);
            Thread.sleep(5_000); // a duplicate would come now
            System.out.println("AlertProcessorRestartIT notifications: firing=" + count(notifications, "firing")
                    + " resolved=" + count(notifications, "resolved") + " (resolution sent before the second restart: "
                    + sentBeforeRestart + ")");
            events.forEach(e -> System.out.println("AlertProcessorRestartIT event " + e.getState() + " at "
                    + e.getEventTime()));
            assertThat(count(notifications, "firing")).as("firing notifications").isEqualTo(1);
            assertThat(count(notifications, "resolved")).as("resolved notifications").isEqualTo(1);
            assertThat(events).extracting(AlertEvent::getState)
                    .containsSubsequence(AlertState.FIRING, AlertState.RESOLVED);
        } finally {
            processor.close();
            receiver.stop(0);
        }
    }

    /** Notifications whose alert for this test's provider has {@code status}. */
    private static long count(List<JsonNode> notifications, String status) {
        return notifications.stream().filter(n -> {
            for (JsonNode alert : n.get("alerts")) {
                if (status.equals(alert.get("status").asText())) {
                    return true;
                }
            }
            return false;
        }).count();
    }

    private static void calls(ToolformerClient client, String provider, int count, int failProbability)
            throws Exception {
        List<CompletableFuture<ToolResult>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            results.add(client.submit(client.newRequest("simulated", "{\"fail_probability\":" + failProbability + "}",
                    Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(60)));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get();
    }
}
