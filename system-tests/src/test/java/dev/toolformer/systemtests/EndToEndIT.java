package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A request travels the whole pipeline on a real broker: request → result → SLO window → alert. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class EndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(180)
    void shouldTurnRequestsIntoResultsSloWindowsAndFiringAlert(KafkaTestCluster cluster, @TempDir Path state)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        // The broker and its topics are shared with other tests: this test's requests carry their own
        // provider, and every assertion is on that provider's windows.
        String provider = cluster.uniqueName("provider").replace('-', '_');
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: TestHighErrorRate
                    source: toolformer.slo
                    expr: {field: error_rate, op: ">", threshold: 0.01}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "error rate {{value}} above {{threshold}}"}
                """.formatted(provider), "test");
        PipelineWatcher watcher = new PipelineWatcher(kafka);
        ExecutorConfig executorConfig = new ExecutorConfig(cluster.uniqueName("executor"),
                cluster.uniqueName("executor-group"), 100, 1, Duration.ofMinutes(1), Duration.ofMillis(10),
                Duration.ofSeconds(1));
        try (watcher;
             ToolExecutor executor = new ToolExecutor(executorConfig, kafka, ToolRegistry.discover(),
                     Pricing.defaults(), new SimpleMeterRegistry());
             AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(state.resolve("analytics"))
                     .withApplicationId(cluster.uniqueName("analytics")), kafka);
             AlertProcessorService alerts = new AlertProcessorService(new AlertConfig(
                     cluster.uniqueName("alerts"), rules, state.resolve("alerts")), kafka);
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            analytics.start();
            alerts.start();

            var echo = client.submit(client.newRequest("echo", "{\"x\":1}", Duration.ofSeconds(10))
                    .setProvider(provider).build(), Duration.ofSeconds(90));
            var failing = client.submit(client.newRequest("simulated", "{\"fail_probability\":1}",
                    Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(90));

            ToolResult ok = echo.get();
            assertThat(ok.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(JSON.readTree(ok.getOutputJson())).isEqualTo(JSON.readTree("{\"x\":1}"));
            assertThat(ok.getAttempts()).isEqualTo(1);
            ToolResult failed = failing.get();
            assertThat(failed.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(failed.getError().getMessage()).isEqualTo("simulated failure of simulated");

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                assertThat(watcher.windows("echo", provider)).anySatisfy(w -> {
                    assertThat(w.getRequests()).isEqualTo(1);
                    assertThat(w.getSuccess()).isEqualTo(1);
                    assertThat(w.getErrorRate()).isEqualTo(0.0);
                    assertThat(w.getAvailability()).isEqualTo(1.0);
                });
                assertThat(watcher.windows("simulated", provider)).anySatisfy(w -> {
                    assertThat(w.getRequests()).isEqualTo(1);
                    assertThat(w.getErrors()).isEqualTo(1);
                    assertThat(w.getErrorRate()).isEqualTo(1.0);
                    assertThat(w.getAvailability()).isEqualTo(0.0);
                });
            });
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(watcher.alerts())
                    .filteredOn(a -> provider.equals(a.getLabels().get("provider")))
                    .singleElement()
                    .satisfies(a -> {
                        assertThat(a.getRule()).isEqualTo("TestHighErrorRate");
                        assertThat(a.getState()).isEqualTo(AlertState.FIRING);
                        assertThat(a.getValue()).isEqualTo(1.0);
                        assertThat(a.getThreshold()).isEqualTo(0.01);
                        assertThat(a.getLabels()).containsEntry("tool", "simulated");
                    }));
        }
    }
}
