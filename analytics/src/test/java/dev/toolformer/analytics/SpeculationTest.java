package dev.toolformer.analytics;

import static dev.toolformer.analytics.AnalyticsDriver.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpeculationTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
    private static final String WINDOW_0 = "2026-01-01T12:00:00Z";

    @TempDir
    Path stateDir;

    private AnalyticsDriver driver;

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldCountHitsMissesAndUnresolvedSpeculationPerToolAndOverall() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        ToolResult hit = speculative("search", T0.plusSeconds(10), 0.25);
        driver.pipe(hit);
        driver.pipe(outcome(hit, true, T0.plusSeconds(20)));
        // A second outcome of the same call does not count again.
        driver.pipe(outcome(hit, false, T0.plusSeconds(21)));
        ToolResult miss = speculative("search", T0.plusSeconds(22), 0.5);
        driver.pipe(miss);
        driver.pipe(outcome(miss, false, T0.plusSeconds(60)));
        // An outcome may be decided before the result is published.
        ToolResult earlyMiss = speculative("search", T0.plusSeconds(30), 0.125);
        driver.pipe(outcome(earlyMiss, false, T0.plusSeconds(25)));
        driver.pipe(earlyMiss);
        ToolResult neverDecided = speculative("search", T0.plusSeconds(40), 1.0);
        driver.pipe(neverDecided);
        ToolResult decidedTooLate = speculative("fetch", T0.plusSeconds(50), 2.0);
        driver.pipe(decidedTooLate);
        ToolResult notSpeculative = driver.llmResult("openai", "gpt-4o", T0.plusSeconds(55), 1, 1, 4.0);
        driver.pipe(notSpeculative);
        driver.pipe(outcome(notSpeculative, false, T0.plusSeconds(56)));
        driver.pipe(outcome(decidedTooLate, true, T0.plusSeconds(50).plus(Duration.ofMinutes(10)).plusMillis(1)));
        assertThat(driver.speculation.isEmpty()).isTrue();

        closeWindowsBefore(T0.plus(Duration.ofMinutes(30)));

        Map<String, SpeculationWindow> finals = finals();
        assertThat(finals).containsOnlyKeys("search|" + WINDOW_0, "fetch|" + WINDOW_0, "*|" + WINDOW_0);
        SpeculationWindow all = finals.get("*|" + WINDOW_0);
        assertThat(List.of(all.getHits(), all.getMisses(), all.getUnresolved())).containsExactly(1L, 2L, 2L);
        assertThat(all.getAccuracy()).isEqualTo(1.0 / 3);
        assertThat(all.getWastedCostUsd()).isEqualTo(0.625);
        assertThat(List.of(all.getWindowStart(), all.getWindowEnd())).containsExactly(T0, T0.plusSeconds(60));
        assertThat(all.getIsFinal()).isTrue();
        SpeculationWindow search = finals.get("search|" + WINDOW_0);
        assertThat(List.of(search.getHits(), search.getMisses(), search.getUnresolved())).containsExactly(1L, 2L, 1L);
        SpeculationWindow fetch = finals.get("fetch|" + WINDOW_0);
        assertThat(List.of(fetch.getHits(), fetch.getMisses(), fetch.getUnresolved())).containsExactly(0L, 0L, 1L);
        assertThat(fetch.getAccuracy()).isZero();
        assertThat(fetch.getWastedCostUsd()).isZero();
    }

    @Test
    void shouldCountASpeculativeCallInTheWindowItFinishedInWhenItsOutcomeComesLater() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir));
        ToolResult call = speculative("search", T0.plusSeconds(50), 0.25);
        driver.pipe(call);
        driver.pipe(outcome(call, true, T0.plusSeconds(130)));

        List<KeyValue<String, SpeculationWindow>> updates = driver.speculation.readKeyValuesToList();

        assertThat(updates).extracting(kv -> kv.key).containsExactly("search|" + WINDOW_0, "*|" + WINDOW_0);
        assertThat(updates).allSatisfy(kv -> {
            assertThat(kv.value.getHits()).isEqualTo(1);
            assertThat(kv.value.getIsFinal()).isFalse();
        });
    }

    @Test
    void shouldHandEachFinalWindowAndNoUpdateToTheObserverOfTheMeters() {
        List<SpeculationWindow> observed = new ArrayList<>();
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir), observed::add);
        ToolResult hit = speculative("search", T0.plusSeconds(10), 0.25);
        driver.pipe(hit);
        driver.pipe(outcome(hit, true, T0.plusSeconds(20)));
        ToolResult miss = speculative("search", T0.plusSeconds(22), 0.5);
        driver.pipe(miss);
        driver.pipe(outcome(miss, false, T0.plusSeconds(30)));
        assertThat(observed).as("updates of open windows are not handed over").isEmpty();

        closeWindowsBefore(T0.plus(Duration.ofMinutes(30)));

        assertThat(observed).isNotEmpty().allSatisfy(w -> assertThat(w.getIsFinal()).isTrue());
        assertThat(observed).filteredOn(w -> w.getTool().equals("*") && w.getWindowStart().equals(T0))
                .singleElement().satisfies(w -> assertThat(w.getAccuracy()).isEqualTo(0.5));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DistributionSummary accuracy = DistributionSummary.builder("accuracy").register(registry);
        observed.forEach(AnalyticsMeters.accuracyOf(accuracy));
        // Only windows over all tools with outcomes count: T0's; not per-tool ones, nor the unresolved "advance" call's.
        assertThat(accuracy.count()).isEqualTo(1);
        assertThat(accuracy.totalAmount()).isEqualTo(0.5);
    }

    private ToolResult speculative(String tool, Instant finishedAt, double costUsd) {
        return ToolResult.newBuilder(driver.result(tool, "local", ToolStatus.SUCCESS, finishedAt.minusMillis(20),
                finishedAt.minusMillis(10), finishedAt)).setSpeculative(true).setCostUsd(costUsd).build();
    }

    /**
     * A resolved speculative call at {@code streamTime}: it moves the join past the speculation window of
     * earlier calls (the join emits unresolved calls at most once per wall-clock second) and the windows past
     * their grace.
     */
    private void closeWindowsBefore(Instant streamTime) {
        driver.advanceWallClock(Duration.ofSeconds(1));
        ToolResult late = speculative("advance", streamTime, 0);
        driver.pipe(late);
        driver.pipe(outcome(late, true, streamTime));
    }

    private Map<String, SpeculationWindow> finals() {
        List<KeyValue<String, SpeculationWindow>> records = driver.speculation.readKeyValuesToList();
        assertThat(records).allSatisfy(kv -> assertThat(kv.value.getIsFinal()).isTrue());
        assertThat(records).extracting(kv -> kv.key).doesNotHaveDuplicates();
        return AnalyticsDriver.latest(records);
    }
}
