package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class ExecutorMetricsTest {

    private static ToolResult result(ToolStatus status, double cost, ToolError error) {
        Instant start = Instant.parse("2025-03-01T12:00:00Z");
        return ToolResult.newBuilder().setRequestId("r").setCorrelationId("c").setTool("simulated")
                .setProvider("openai").setModel("gpt-4o").setStatus(status).setAttempts(1).setError(error)
                .setSubmittedAt(start).setStartedAt(start).setFinishedAt(start.plusMillis(300)).setCostUsd(cost)
                .build();
    }

    @Test
    void shouldExposeSpecMetricNamesLabelsAndBucketsOnPrometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorMetrics metrics = new ExecutorMetrics(registry, "e1");
        metrics.declareTool("simulated");
        metrics.bindInstance(() -> 3, () -> 2048, () -> 10, () -> 1);

        metrics.result(result(ToolStatus.SUCCESS, 0.25, null));
        metrics.result(result(ToolStatus.UNAVAILABLE, 0, ToolError.newBuilder().setType("CircuitOpen").setMessage("m")
                .setRetriable(true).build()));
        metrics.result(result(ToolStatus.REJECTED, 0, ToolError.newBuilder().setType("UnknownTool").setMessage("m")
                .setRetriable(false).build()));
        metrics.retry("simulated", "openai");
        metrics.deadLetter("RETRIES_EXHAUSTED");

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("orchestrator_requests_total{method=\"simulated\",provider=\"openai\",status=\"success\"} 1.0")
                .contains("orchestrator_requests_total{method=\"simulated\",provider=\"openai\",status=\"rejected\"} 1.0")
                .contains("orchestrator_requests_total{method=\"simulated\",provider=\"openai\",status=\"unavailable\"} 1.0")
                .contains("orchestrator_request_duration_seconds_bucket{method=\"simulated\",provider=\"openai\",le=\"0.25\"} 0")
                .contains("orchestrator_request_duration_seconds_bucket{method=\"simulated\",provider=\"openai\",le=\"0.5\"} 3")
                .contains("orchestrator_request_duration_seconds_count{method=\"simulated\",provider=\"openai\"} 3")
                .contains("active_tool_executions{tool_type=\"simulated\"} 0.0")
                .contains("api_costs_total{model=\"gpt-4o\",provider=\"openai\"} 0.25")
                .contains("toolformer_executor_retries_total{method=\"simulated\",provider=\"openai\"} 1.0")
                .contains("toolformer_executor_dead_letters_total{reason=\"RETRIES_EXHAUSTED\"} 1.0")
                .contains("toolformer_executor_rejections_total{reason=\"CircuitOpen\"} 1.0")
                .contains("toolformer_executor_rejections_total{reason=\"UnknownTool\"} 1.0")
                .contains("toolformer_executor_in_flight{executor_id=\"e1\"} 3.0")
                .contains("toolformer_executor_paused_partitions{executor_id=\"e1\"} 1.0");
        for (double bucket : ExecutorMeter.DURATION_BUCKETS_SECONDS) {
            assertThat(scrape).contains("le=\"" + bucket + "\"");
        }
        assertThat(scrape).doesNotContain("orchestrator_request_duration_seconds_seconds")
                .doesNotContain("le=\"0.001\"");
    }

    @Test
    void shouldSnapshotStatsForSummaries() {
        ExecutorMetrics metrics = new ExecutorMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "e2");
        metrics.inFlightNow(5);
        metrics.inFlightNow(9);
        metrics.inFlightNow(2);
        metrics.result(result(ToolStatus.CANCELLED, 0, null));
        metrics.result(result(ToolStatus.UNAVAILABLE, 0, null));
        metrics.retry("t", "p");
        metrics.breakerTransition("t", "p", "closed", "open");
        metrics.breakerTransition("t", "p", "open", "half_open");
        metrics.breakerTransition("t", "p", "half_open", "open");
        metrics.breakerTransition("t", "p", "open", "half_open");
        metrics.breakerTransition("t", "p", "half_open", "closed");

        assertThat(metrics.stats(2, 10, 0, 4))
                .isEqualTo(new ExecutorStats(2, 9, 10, 2, 1, 0, 0, 1, 1, 2, 1, 0, 4));
    }
}
