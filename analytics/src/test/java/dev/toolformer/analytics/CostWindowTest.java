package dev.toolformer.analytics;

import static dev.toolformer.analytics.AnalyticsDriver.latest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostWindowTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    @TempDir
    Path stateDir;

    private AnalyticsDriver driver;

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldSumCostTokensAndRequestsPerProviderAndModelInMinuteAndHourWindows() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(10), 100, 50, 0.25));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(20), 200, 100, 0.5));
        driver.pipe(driver.llmResult("anthropic", "claude", T0.plusSeconds(30), 1000, 10, 1.0));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(70), 10, 5, 0.125));
        closeWindowsBefore(T0.plusSeconds(3630));

        Map<String, CostWindow> finals = finals();

        assertThat(finals).containsOnlyKeys("openai|gpt-4o|1m|2026-01-01T12:00:00Z",
                "openai|gpt-4o|1m|2026-01-01T12:01:00Z", "anthropic|claude|1m|2026-01-01T12:00:00Z",
                "openai|gpt-4o|1h|2026-01-01T12:00:00Z", "anthropic|claude|1h|2026-01-01T12:00:00Z");
        CostWindow minute = finals.get("openai|gpt-4o|1m|2026-01-01T12:00:00Z");
        assertThat(List.of(minute.getProvider(), minute.getModel(), minute.getWindowSize()))
                .containsExactly("openai", "gpt-4o", "1m");
        assertThat(List.of(minute.getWindowStart(), minute.getWindowEnd())).containsExactly(T0, T0.plusSeconds(60));
        assertThat(List.of(minute.getRequests(), minute.getInputTokens(), minute.getOutputTokens()))
                .containsExactly(2L, 300L, 150L);
        assertThat(List.of(minute.getCostUsd(), minute.getCostPerRequestUsd())).containsExactly(0.75, 0.375);
        assertThat(minute.getTrailingCostPerRequestUsd()).isNull();
        assertThat(minute.getVarianceRatio()).isNull();
        assertThat(minute.getIsFinal()).isTrue();
        assertThat(minute.getEmittedAt()).isEqualTo(AnalyticsDriver.WALL_CLOCK);
        CostWindow hour = finals.get("openai|gpt-4o|1h|2026-01-01T12:00:00Z");
        assertThat(List.of(hour.getWindowStart(), hour.getWindowEnd())).containsExactly(T0, T0.plusSeconds(3600));
        assertThat(List.of(hour.getRequests(), hour.getInputTokens(), hour.getOutputTokens()))
                .containsExactly(3L, 310L, 155L);
        assertThat(List.of(hour.getCostUsd(), hour.getCostPerRequestUsd())).containsExactly(0.875, 0.875 / 3);
        assertThat(finals.get("anthropic|claude|1h|2026-01-01T12:00:00Z").getCostUsd()).isEqualTo(1.0);
    }

    @Test
    void shouldLeaveCallsThatNeverReachedAProviderOutOfTheCostWindows() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(10), 100, 50, 0.25));
        for (ToolStatus status : List.of(ToolStatus.UNAVAILABLE, ToolStatus.UNAVAILABLE, ToolStatus.REJECTED)) {
            driver.pipe(ToolResult.newBuilder(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(20), 0, 0, 0))
                    .setStatus(status).build());
        }
        driver.pipe(ToolResult.newBuilder(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(30), 100, 50, 0.25))
                .setStatus(ToolStatus.ERROR).build());
        closeWindowsBefore(T0.plusSeconds(3630));

        CostWindow minute = finals().get("openai|gpt-4o|1m|2026-01-01T12:00:00Z");

        assertThat(minute.getRequests()).isEqualTo(2);
        assertThat(minute.getCostPerRequestUsd()).isEqualTo(0.25);
    }

    @Test
    void shouldCompareCostPerRequestWithTheTwentyFourCompleteHoursBefore() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        // The baseline of 12:xx is the 24 hours 12:00 yesterday .. 11:00 today; 11:59 yesterday is just outside.
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2025-12-31T11:59:00Z"), 1, 1, 100.0));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2025-12-31T12:00:00Z"), 1, 1, 0.125));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2026-01-01T10:30:00Z"), 1, 1, 0.25));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2026-01-01T10:31:00Z"), 1, 1, 0.25));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2026-01-01T11:30:00Z"), 1, 1, 0.5));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2026-01-01T11:31:00Z"), 1, 1, 0.5));
        driver.pipe(driver.llmResult("openai", "gpt-4o", Instant.parse("2026-01-01T12:05:00Z"), 1, 1, 0.75));
        closeWindowsBefore(T0.plusSeconds(3630));

        Map<String, CostWindow> finals = finals();

        // Baseline of 12:xx: (0.125 + 0.25 + 0.25 + 0.5 + 0.5) / 5 = 0.325 per request; 0.75 is 131 % above it.
        double trailing = 1.625 / 5;
        assertThat(List.of(finals.get("openai|gpt-4o|1m|2026-01-01T12:05:00Z"),
                finals.get("openai|gpt-4o|1h|2026-01-01T12:00:00Z")))
                .extracting(CostWindow::getCostPerRequestUsd, CostWindow::getTrailingCostPerRequestUsd,
                        CostWindow::getVarianceRatio)
                .containsExactly(tuple(0.75, trailing, (0.75 - trailing) / trailing),
                        tuple(0.75, trailing, (0.75 - trailing) / trailing));
        assertThat(finals.get("openai|gpt-4o|1h|2026-01-01T12:00:00Z").getVarianceRatio()).isCloseTo(1.3077,
                within(1e-4));
        // Baseline of 11:xx: 11:00 yesterday .. 10:00 today, (100 + 0.125 + 0.25 + 0.25) / 4.
        assertThat(finals.get("openai|gpt-4o|1h|2026-01-01T11:00:00Z"))
                .extracting(CostWindow::getTrailingCostPerRequestUsd, CostWindow::getVarianceRatio)
                .containsExactly(100.625 / 4, (0.5 - 100.625 / 4) / (100.625 / 4));
        assertThat(finals.get("openai|gpt-4o|1h|2025-12-31T11:00:00Z"))
                .extracting(CostWindow::getTrailingCostPerRequestUsd, CostWindow::getVarianceRatio)
                .containsExactly(null, null);
    }

    @Test
    void shouldEmitOpenCostWindowsAsNotFinal() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(10), 100, 50, 0.25));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(20), 100, 50, 0.25));

        List<KeyValue<String, CostWindow>> emitted = driver.cost.readKeyValuesToList();

        assertThat(emitted).extracting(kv -> kv.key, kv -> kv.value.getRequests(), kv -> kv.value.getIsFinal())
                .containsExactlyInAnyOrder(
                        tuple("openai|gpt-4o|1m|2026-01-01T12:00:00Z", 1L, false),
                        tuple("openai|gpt-4o|1h|2026-01-01T12:00:00Z", 1L, false),
                        tuple("openai|gpt-4o|1m|2026-01-01T12:00:00Z", 2L, false),
                        tuple("openai|gpt-4o|1h|2026-01-01T12:00:00Z", 2L, false));
    }

    @Test
    void shouldSumCostsIndependentlyOfArrivalOrder() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        // In doubles, (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3); in nano-dollars both are 0.6.
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(1), 1, 1, 0.1));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(2), 1, 1, 0.2));
        driver.pipe(driver.llmResult("openai", "gpt-4o", T0.plusSeconds(3), 1, 1, 0.3));
        closeWindowsBefore(T0.plusSeconds(90));

        assertThat(finals().get("openai|gpt-4o|1m|2026-01-01T12:00:00Z").getCostUsd()).isEqualTo(0.6);
    }

    private void closeWindowsBefore(Instant streamTime) {
        driver.pipe("advance", "local", ToolStatus.SUCCESS, streamTime, 20);
    }

    private Map<String, CostWindow> finals() {
        List<KeyValue<String, CostWindow>> records = driver.cost.readKeyValuesToList();
        assertThat(records).allSatisfy(kv -> assertThat(kv.value.getIsFinal()).isTrue());
        assertThat(records).extracting(kv -> kv.key).doesNotHaveDuplicates();
        return latest(records);
    }
}
