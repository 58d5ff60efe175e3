package dev.toolformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.toolformer.schema.SpeculationWindow;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    @Test
    void shouldSumTheLatestAllToolsWindowsAndSayWhenOneIsStillOpen() {
        DemoSummary.Speculation speculation = DemoSummary.Speculation.of(List.of(
                window("*", T0, 3, 1, 0.5, true),
                window("*", T0.plusSeconds(60), 2, 2, 0.25, false),
                // Per-tool windows repeat what the all-tools ones count.
                window("search", T0, 3, 1, 0.5, true)));

        assertThat(speculationLine(speculation)).isEqualTo("speculation         8 speculative calls resolved: 5 used,"
                + " 3 wasted (accuracy 62.5 %), wasted cost $0.7500 (still open)");
    }

    @Test
    void shouldNotSayStillOpenOnceEveryWindowIsFinal() {
        DemoSummary.Speculation speculation = DemoSummary.Speculation.of(List.of(window("*", T0, 1, 3, 0.125, true)));

        assertThat(speculationLine(speculation)).isEqualTo("speculation         4 speculative calls resolved: 1 used,"
                + " 3 wasted (accuracy 25.0 %), wasted cost $0.1250");
    }

    @Test
    void shouldSayHowManyReportedOutcomesTheWindowsDoNotCountYet() {
        DemoSummary.Speculation speculation = DemoSummary.Speculation.of(List.of(window("*", T0, 3, 1, 0.5, true)));

        assertThat(speculationLine(speculation, 6)).isEqualTo("speculation         4 speculative calls resolved:"
                + " 3 used, 1 wasted (accuracy 75.0 %), wasted cost $0.5000 (still open; 2 reported outcomes not"
                + " counted yet)");
    }

    @Test
    void shouldReportNoAccuracyWithoutResolvedCalls() {
        assertThat(speculationLine(DemoSummary.Speculation.of(List.of()))).isEqualTo("speculation         0"
                + " speculative calls resolved: 0 used, 0 wasted (accuracy n/a), wasted cost $0.0000");
    }

    private static String speculationLine(DemoSummary.Speculation speculation) {
        return speculationLine(speculation, speculation.resolved());
    }

    private static String speculationLine(DemoSummary.Speculation speculation, long outcomesReported) {
        DemoSummary summary = new DemoSummary(10, Duration.ofSeconds(10));
        summary.speculation(speculation, outcomesReported);
        StringWriter out = new StringWriter();
        summary.print(new PrintWriter(out));
        return out.toString().lines().filter(line -> line.startsWith("speculation")).findFirst().orElseThrow();
    }

    private static SpeculationWindow window(String tool, Instant start, long hits, long misses, double wastedUsd,
                                            boolean isFinal) {
        return SpeculationWindow.newBuilder().setWindowStart(start).setWindowEnd(start.plusSeconds(60)).setTool(tool)
                .setHits(hits).setMisses(misses).setUnresolved(0).setAccuracy((double) hits / (hits + misses))
                .setWastedCostUsd(wastedUsd).setIsFinal(isFinal).setEmittedAt(start).build();
    }
}
