package dev.toolformer.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.AlertRules;
import dev.toolformer.common.testing.EmbeddedKafkaExtension;
import dev.toolformer.common.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on a real broker with the real services: a provider starts failing → the alert fires
 * → the incident rule opens the breaker on the executor (its calls get fast REJECTED results) and a
 * local webhook receiver is notified → the failures stop → the alert resolves and the breaker closes
 * (its calls succeed again). Asserted on the topics and the receiver, not on logs.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ClosedLoopIT {

    @Test
    @Timeout(240)
    void shouldOpenTheBreakerOnFailuresAndCloseItWhenTheyStop(KafkaTestCluster cluster, @TempDir Path data)
            throws Exception {
        String provider = cluster.uniqueName("loop").replace('-', '_');
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
                  - name: LoopErrorRate
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "{{provider}} fails {{value}} of its calls"}
                route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s}
                receivers:
                  - name: hook
                    webhooks:
                      - {url: "http://127.0.0.1:%d/hook", format: slack}
                incidents:
                  - name: loop_response
                    match: {alertname: LoopErrorRate}
                    actions: [circuit_breaker, {type: notify, receiver: hook}]
                """.formatted(provider, receiver.getAddress().getPort()), "closed-loop");
        Pipeline.Options options = new Pipeline.Options(cluster.settings(), data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules);
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka());
             PipelineWatcher watcher = new PipelineWatcher(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();

            // The provider fails: every call errors until the breaker opens, then calls are rejected fast.
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                ToolResult r = call(client, provider, 1);
                return r.getStatus() == ToolStatus.REJECTED && r.getError().getType().equals("CircuitOpen");
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.stream().anyMatch(w -> w.contains(provider)));
            assertThat(watcher.alerts(provider)).extracting(AlertEvent::getState).contains(AlertState.FIRING);
            assertThat(watcher.controlForProvider(provider)).extracting(ControlCommand::getAction).containsExactly(ControlAction.OPEN_BREAKER);

            // The provider recovers: rejected calls lower the window's error rate, the alert resolves,
            // the breaker closes, and the provider's calls succeed again.
            await().atMost(Duration.ofSeconds(120)).until(() -> call(client, provider, 0).getStatus() == ToolStatus.SUCCESS);
            assertThat(watcher.alerts(provider)).extracting(AlertEvent::getState).endsWith(AlertState.RESOLVED);
            assertThat(watcher.controlForProvider(provider)).extracting(ControlCommand::getAction)
                    .containsExactly(ControlAction.OPEN_BREAKER, ControlAction.CLOSE_BREAKER);
        } finally {
            receiver.stop(0);
        }
    }

    private static ToolResult call(ToolformerClient client, String provider, int failProbability) throws Exception {
        return client.submit(client.newRequest("simulated", "{\"fail_probability\":" + failProbability + "}",
                Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(30)).get();
    }
}
