package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The security integration tests' common proof that a client configuration works for the whole pipeline: runs
 * the executor, analytics and the alert processor with {@code kafka}, submits three echo calls for a provider,
 * and checks their results, the SLO window that counts them and the alert that window fires.
 */
final class EveryServiceCheck {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EveryServiceCheck() {
    }

    /** @param rule the name of the alert rule the test expects to fire for {@code provider} */
    static void run(KafkaSettings kafka, Path dir, String provider, String rule) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String executorId = "secured-executor-" + id;
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: %s
                    source: toolformer.slo
                    expr: {field: requests, op: ">=", threshold: 1}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: info
                    match: {provider: "%s"}
                    annotations: {summary: "{{value}} requests"}
                """.formatted(rule, provider), "test");
        try (PipelineWatcher watcher = new PipelineWatcher(kafka);
             ToolExecutor executor = new ToolExecutor(ExecutorConfig.builder(executorId)
                     .groupId("toolformer-executor-" + id).build(), kafka, ToolRegistry.discover(), Pricing.defaults(),
                     new SimpleMeterRegistry());
             AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(dir.resolve("analytics"))
                     .withApplicationId("toolformer-analytics-" + id), kafka);
             AlertProcessorService alerts = new AlertProcessorService(new AlertConfig("toolformer-alerts-" + id,
                     rules, dir.resolve("alerts")), kafka);
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            analytics.start();
            alerts.start();

            List<CompletableFuture<ToolResult>> calls = List.of(1, 2, 3).stream()
                    .map(i -> client.submit(client.newRequest("echo", "{\"n\":" + i + "}", Duration.ofSeconds(10))
                            .setProvider(provider).build(), Duration.ofSeconds(120)))
                    .toList();

            for (int i = 0; i < calls.size(); i++) {
                ToolResult result = calls.get(i).get();
                assertThat(result.getStatus()).isEqualTo(ToolStatus.SUCCESS);
                assertThat(JSON.readTree(result.getOutputJson())).isEqualTo(JSON.readTree("{\"n\":" + (i + 1) + "}"));
                assertThat(result.getExecutorId()).isEqualTo(executorId);
            }
            assertThat(executor.failure()).isEmpty();
            // Analytics counts the three calls (in one minute window, or two if a minute boundary fell between).
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                    assertThat(watcher.requestsCounted("echo", provider)).isEqualTo(3));
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(watcher.alerts(provider))
                    .anySatisfy(a -> {
                        assertThat(a.getRule()).isEqualTo(rule);
                        assertThat(a.getState()).isEqualTo(AlertState.FIRING);
                    }));
            assertThat(analytics.isRunning()).isTrue();
            assertThat(alerts.isRunning()).isTrue();
        }
    }
}
