package dev.toolformer.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.BurnRateWindow;
import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.Test;

class RecordJsonTest {

    @Test
    void shouldWriteTimestampsEnumsNestedRecordsAndBytesPlainly() {
        ToolResult result = ToolResult.newBuilder().setRequestId("r").setCorrelationId("c").setTool("echo")
                .setStatus(ToolStatus.ERROR).setOutputJson(null)
                .setError(ToolError.newBuilder().setType("T").setMessage("m").setRetriable(true).build())
                .setAttempts(2).setSubmittedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setStartedAt(Instant.parse("2026-01-01T00:00:01Z")).setFinishedAt(Instant.parse("2026-01-01T00:00:02Z"))
                .build();

        Map<String, Object> map = RecordJson.toMap(result);

        assertThat(map.get("status")).isEqualTo("ERROR");
        assertThat(map.get("submitted_at")).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(map.get("error")).isEqualTo(Map.of("type", "T", "message", "m", "retriable", true));
        assertThat(map.get("output_json")).isNull();
        assertThat(RecordJson.toJson(result)).startsWith("{\"request_id\":\"r\",\"correlation_id\":\"c\"");
    }

    @Test
    void shouldWriteArraysAsJsonArrays() {
        BurnRate rate = BurnRate.newBuilder().setSlo("availability").setObjective(0.999)
                .setComputedAt(Instant.parse("2026-01-01T00:00:00Z")).setBudgetRemaining(0.5).setBudgetWindowMs(1)
                .setWindows(List.of(BurnRateWindow.newBuilder().setWindow("5m").setWindowMs(300_000).setRequests(10)
                        .setBad(1).setErrorRate(0.1).setBurnRate(100).build()))
                .build();

        Object windows = RecordJson.toMap(rate).get("windows");

        assertThat(windows).isInstanceOf(List.class);
        assertThat((List<?>) windows).singleElement().isEqualTo(Map.of("window", "5m", "window_ms", 300_000L,
                "requests", 10L, "bad", 1L, "error_rate", 0.1, "burn_rate", 100.0));
    }
}
