package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeduplicationTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    @TempDir
    Path stateDir;

    private AnalyticsDriver driver;

    @BeforeEach
    void start() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldCountARerunResultOfTheSameRequestOnlyOnce() {
        ToolResult first = driver.llmResult("openai", "gpt-4o", T0.plusSeconds(10), 100, 10, 0.5);
        driver.pipe(first);
        driver.pipe(first);
        driver.pipe(ToolResult.newBuilder(first).setStatus(ToolStatus.ERROR).setFinishedAt(T0.plusSeconds(40))
                .setCostUsd(0.25).build());
        closeWindowsBefore(T0.plusSeconds(90));

        Map<String, SloWindow> slo = AnalyticsDriver.latest(driver.slo.readKeyValuesToList());
        assertThat(slo.get("*|*|2026-01-01T12:00:00Z").getRequests()).isEqualTo(1);
        assertThat(slo.get("chat|openai|2026-01-01T12:00:00Z").getSuccess()).isEqualTo(1);
        CostWindow cost = AnalyticsDriver.latest(driver.cost.readKeyValuesToList())
                .get("openai|gpt-4o|1m|2026-01-01T12:00:00Z");
        assertThat(cost.getRequests()).isEqualTo(1);
        assertThat(cost.getCostUsd()).isEqualTo(0.5);
    }

    @Test
    void shouldKeepTheFirstArrivedResultWhenADuplicateFinishedEarlier() {
        ToolResult first = driver.result("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(29), T0.plusSeconds(29),
                T0.plusSeconds(30));
        driver.pipe(first);
        driver.pipe(ToolResult.newBuilder(first).setStatus(ToolStatus.ERROR).setFinishedAt(T0.plusSeconds(20))
                .build());
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = AnalyticsDriver.latest(driver.slo.readKeyValuesToList())
                .get("echo|local|2026-01-01T12:00:00Z");
        assertThat(window.getRequests()).isEqualTo(1);
        assertThat(window.getSuccess()).isEqualTo(1);
        assertThat(window.getErrors()).isZero();
    }

    @Test
    void shouldCountARequestIdAgainOnceItsRetentionHasPassed() {
        ToolResult first = driver.result("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(9), T0.plusSeconds(9),
                T0.plusSeconds(10));
        driver.pipe(first);
        Instant later = T0.plus(Duration.ofHours(1)).plusSeconds(11);
        driver.pipe(ToolResult.newBuilder(first).setSubmittedAt(later).setStartedAt(later).setFinishedAt(later)
                .build());
        closeWindowsBefore(later.plusSeconds(90));

        Map<String, SloWindow> slo = AnalyticsDriver.latest(driver.slo.readKeyValuesToList());
        assertThat(slo.get("echo|local|2026-01-01T12:00:00Z").getRequests()).isEqualTo(1);
        assertThat(slo.get("echo|local|2026-01-01T13:00:00Z").getRequests()).isEqualTo(1);
    }

    @Test
    void shouldDropAResultTooLateToBeDeduplicated() {
        driver.pipe("echo", "local", ToolStatus.SUCCESS, T0.plus(Duration.ofHours(2)), 20);

        driver.pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(10), 20);

        assertThat(driver.driver.getWindowStore(AnalyticsTopology.RESULT_IDS_STORE).fetch("req-1",
                0L, Long.MAX_VALUE).hasNext()).isFalse();
    }

    private void closeWindowsBefore(Instant streamTime) {
        driver.pipe("advance", "clock", ToolStatus.SUCCESS, streamTime, 20);
    }
}
