package dev.toolformer.analytics;

import static dev.toolformer.analytics.AnalyticsDriver.latest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.BurnRateWindow;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BurnRateTest {
    private static final Instant AT_11_00 = Instant.parse("2026-01-01T11:00:10Z");
    private static final Instant AT_12_40 = Instant.parse("2026-01-01T12:40:10Z");
    private static final Instant AT_12_58 = Instant.parse("2026-01-01T12:58:10Z");
    private static final Instant AT_13_01 = Instant.parse("2026-01-01T13:01:05Z");
    private static final long FAST_MS = 20;
    private static final long THRESHOLD_MS = 2_000;

    @TempDir
    Path stateDir;

    private AnalyticsDriver driver;

    @BeforeEach
    void start() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldPublishHandComputedBurnRatesOfCompleteMinutesEachMinute() {
        // 11:00 - 10 results, 5 errors; 12:40 - 20 results, 2 errors, 4 slow (exactly 2 s) and one just under;
        // 12:58 - 10 results, 1 error; 13:01 - the minute that is still running when the rates are computed.
        pipe(AT_11_00, 5, ToolStatus.ERROR, FAST_MS);
        pipe(AT_11_00, 5, ToolStatus.SUCCESS, FAST_MS);
        pipe(AT_12_40, 2, ToolStatus.ERROR, FAST_MS);
        pipe(AT_12_40, 4, ToolStatus.SUCCESS, THRESHOLD_MS);
        pipe(AT_12_40, 1, ToolStatus.SUCCESS, THRESHOLD_MS - 1);
        pipe(AT_12_40, 13, ToolStatus.SUCCESS, FAST_MS);
        pipe(AT_12_58, 1, ToolStatus.ERROR, FAST_MS);
        pipe(AT_12_58, 9, ToolStatus.SUCCESS, FAST_MS);
        pipe(AT_13_01, 1, ToolStatus.ERROR, THRESHOLD_MS);
        assertThat(driver.burnRates.isEmpty()).isTrue();

        driver.advanceWallClock(Duration.ofMinutes(1));

        Map<String, BurnRate> rates = latest(driver.burnRates.readKeyValuesToList());
        assertThat(rates).containsOnlyKeys("availability", "latency");
        BurnRate availability = rates.get("availability");
        assertThat(availability.getObjective()).isEqualTo(0.999);
        assertThat(availability.getComputedAt()).isEqualTo(Instant.parse("2026-01-01T13:01:00Z"));
        assertThat(availability.getBudgetWindowMs()).isEqualTo(Duration.ofDays(30).toMillis());
        // Lookbacks end at 13:01, the start of the running minute: 5m is 12:56-13:01, 2h is 11:01-13:01.
        assertThat(availability.getWindows()).extracting(BurnRateWindow::getWindow, BurnRateWindow::getWindowMs,
                BurnRateWindow::getRequests, BurnRateWindow::getBad).containsExactly(
                tuple("5m", 300_000L, 10L, 1L), tuple("30m", 1_800_000L, 30L, 3L),
                tuple("1h", 3_600_000L, 30L, 3L), tuple("2h", 7_200_000L, 30L, 3L),
                tuple("6h", 21_600_000L, 40L, 8L), tuple("1d", 86_400_000L, 40L, 8L),
                tuple("3d", 259_200_000L, 40L, 8L));
        assertThat(availability.getWindows()).extracting(BurnRateWindow::getErrorRate)
                .containsExactly(0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2);
        assertThat(availability.getWindows()).extracting(BurnRateWindow::getBurnRate).allSatisfy(rate ->
                assertThat(rate).isIn(0.1 / (1 - 0.999), 0.2 / (1 - 0.999)));
        assertThat(availability.getWindows().getFirst().getBurnRate()).isCloseTo(100.0, within(1e-9));
        assertThat(availability.getWindows().getLast().getBurnRate()).isCloseTo(200.0, within(1e-9));
        // 8 bad of 40 against an allowance of 0.1 % of 40 = 0.04: the budget is spent 200 times over.
        assertThat(availability.getBudgetRemaining()).isCloseTo(1 - 8 / 0.04, within(1e-9));

        BurnRate latency = rates.get("latency");
        assertThat(latency.getObjective()).isEqualTo(0.95);
        assertThat(latency.getWindows()).extracting(BurnRateWindow::getRequests, BurnRateWindow::getBad)
                .containsExactly(tuple(10L, 0L), tuple(30L, 4L), tuple(30L, 4L), tuple(30L, 4L),
                        tuple(40L, 4L), tuple(40L, 4L), tuple(40L, 4L));
        assertThat(latency.getWindows()).extracting(BurnRateWindow::getBurnRate).containsExactly(
                0.0, 4.0 / 30 / (1 - 0.95), 4.0 / 30 / (1 - 0.95), 4.0 / 30 / (1 - 0.95), 0.1 / (1 - 0.95),
                0.1 / (1 - 0.95), 0.1 / (1 - 0.95));
        assertThat(latency.getWindows().get(1).getBurnRate()).isCloseTo(2.0 + 2.0 / 3, within(1e-9));
        // 4 bad of 40 against an allowance of 5 % of 40 = 2.
        assertThat(latency.getBudgetRemaining()).isCloseTo(-1.0, within(1e-9));
    }

    @Test
    void shouldBurnBothBudgetsWithUnservedCallsAndIgnoreClientMistakes() {
        // 12:58 - 4 served fast, 4 unserved (breaker open), 2 rejected (the client's mistake) and 2 cancelled.
        pipe(AT_12_58, 4, ToolStatus.SUCCESS, FAST_MS);
        pipe(AT_12_58, 4, ToolStatus.UNAVAILABLE, FAST_MS);
        pipe(AT_12_58, 2, ToolStatus.REJECTED, FAST_MS);
        pipe(AT_12_58, 2, ToolStatus.CANCELLED, THRESHOLD_MS);
        driver.advanceWallClock(Duration.ofMinutes(1));

        Map<String, BurnRate> rates = latest(driver.burnRates.readKeyValuesToList());

        assertThat(rates.get("availability").getWindows().getFirst()).extracting(BurnRateWindow::getRequests,
                BurnRateWindow::getBad, BurnRateWindow::getErrorRate).containsExactly(8L, 4L, 0.5);
        assertThat(rates.get("latency").getWindows().getFirst()).extracting(BurnRateWindow::getRequests,
                BurnRateWindow::getBad, BurnRateWindow::getErrorRate).containsExactly(8L, 4L, 0.5);
    }

    @Test
    void shouldLetBurnRatesFallWhenResultsStopWhileTheBudgetRemembers() {
        pipe(AT_12_58, 1, ToolStatus.ERROR, FAST_MS);
        pipe(AT_12_58, 9, ToolStatus.SUCCESS, FAST_MS);
        driver.advanceWallClock(Duration.ofMinutes(1));
        assertThat(latest(driver.burnRates.readKeyValuesToList()).get("availability").getWindows().getFirst()
                .getBurnRate()).isCloseTo(100.0, within(1e-9));

        driver.advanceWallClock(Duration.ofMinutes(10));

        BurnRate availability = latest(driver.burnRates.readKeyValuesToList()).get("availability");
        assertThat(availability.getComputedAt()).isEqualTo(Instant.parse("2026-01-01T13:11:00Z"));
        BurnRateWindow fiveMinutes = availability.getWindows().getFirst();
        assertThat(fiveMinutes.getRequests()).isZero();
        assertThat(fiveMinutes.getErrorRate()).isZero();
        assertThat(fiveMinutes.getBurnRate()).isZero();
        assertThat(availability.getWindows().get(1).getRequests()).isEqualTo(10);
        assertThat(availability.getBudgetRemaining()).isCloseTo(1 - 1 / 0.01, within(1e-9));
    }

    @Test
    void shouldPublishNothingBeforeTheFirstResult() {
        driver.advanceWallClock(Duration.ofMinutes(5));

        assertThat(driver.burnRates.isEmpty()).isTrue();
    }

    @Test
    void shouldForgetMinutesOlderThanTheBudgetWindowButKeepPublishing() {
        pipe(AT_12_58, 1, ToolStatus.ERROR, FAST_MS);
        driver.advanceWallClock(Duration.ofMinutes(1));
        driver.burnRates.readKeyValuesToList();

        driver.advanceWallClock(Duration.ofDays(30));

        BurnRate availability = latest(driver.burnRates.readKeyValuesToList()).get("availability");
        assertThat(availability.getWindows()).extracting(BurnRateWindow::getRequests).containsOnly(0L);
        assertThat(availability.getBudgetRemaining()).isEqualTo(1.0);
        assertThat(driver.driver.getKeyValueStore(AnalyticsTopology.BURN_BUCKETS_STORE).approximateNumEntries())
                .isZero();
    }

    @Test
    void shouldNotCountAResultTheSloWindowsDroppedAsTooLate() {
        pipe(AT_12_58, 1, ToolStatus.SUCCESS, FAST_MS);
        pipe(AT_13_01, 1, ToolStatus.SUCCESS, FAST_MS);

        pipe(AT_12_58, 1, ToolStatus.ERROR, FAST_MS);
        driver.advanceWallClock(Duration.ofMinutes(1));

        BurnRateWindow fiveMinutes = latest(driver.burnRates.readKeyValuesToList()).get("availability")
                .getWindows().getFirst();
        assertThat(fiveMinutes.getRequests()).isEqualTo(1);
        assertThat(fiveMinutes.getBad()).isZero();
    }

    private void pipe(Instant finishedAt, int count, ToolStatus status, long latencyMs) {
        for (int i = 0; i < count; i++) {
            driver.pipe("echo", "local", status, finishedAt.plusMillis(i), latencyMs);
        }
    }
}
