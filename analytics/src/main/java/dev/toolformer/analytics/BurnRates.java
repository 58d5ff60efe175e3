package dev.toolformer.analytics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import dev.toolformer.analytics.internal.SloMinute;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.BurnRateWindow;
import org.apache.kafka.streams.KeyValue;

/**
 * Burn rates of the two SLOs from the buckets of global counts (one per SLO window, keyed by window
 * start). A lookback of length L ending at {@code end} sums the buckets that start in {@code [end - L, end)};
 * {@code end} is the start of the current, incomplete bucket, so only complete buckets count.
 */
final class BurnRates {
    static final String AVAILABILITY = "availability";
    static final String LATENCY = "latency";
    static final Duration BUDGET_WINDOW = Duration.ofDays(30);

    /** The lookbacks of the workbook's multi-window, multi-burn-rate alerts. */
    static final List<Lookback> LOOKBACKS = List.of(
            new Lookback("5m", Duration.ofMinutes(5)), new Lookback("30m", Duration.ofMinutes(30)),
            new Lookback("1h", Duration.ofHours(1)), new Lookback("2h", Duration.ofHours(2)),
            new Lookback("6h", Duration.ofHours(6)), new Lookback("1d", Duration.ofDays(1)),
            new Lookback("3d", Duration.ofDays(3)));

    record Lookback(String label, Duration length) {
    }

    /** Sums over every lookback, then over the budget window (the last slot). */
    private final long[] requests = new long[LOOKBACKS.size() + 1];
    private final long[] errors = new long[LOOKBACKS.size() + 1];
    private final long[] slow = new long[LOOKBACKS.size() + 1];
    private final long endMs;

    private BurnRates(long endMs) {
        this.endMs = endMs;
    }

    /** Sums {@code buckets} (window start → counts, in any order) into lookbacks ending at {@code endMs}. */
    static BurnRates sum(Iterator<KeyValue<Long, SloMinute>> buckets, long endMs) {
        BurnRates sums = new BurnRates(endMs);
        buckets.forEachRemaining(bucket -> sums.add(bucket.key, bucket.value));
        return sums;
    }

    private void add(long startMs, SloMinute counts) {
        if (startMs >= endMs) {
            return;
        }
        for (int i = 0; i <= LOOKBACKS.size(); i++) {
            Duration length = i < LOOKBACKS.size() ? LOOKBACKS.get(i).length() : BUDGET_WINDOW;
            if (startMs >= endMs - length.toMillis()) {
                requests[i] += counts.getRequests();
                errors[i] += counts.getErrors();
                slow[i] += counts.getSlow();
            }
        }
    }

    /** The availability SLO: bad events are eligible results with status ERROR or UNAVAILABLE. */
    BurnRate availability(double objective, long computedAtMs) {
        return burnRate(AVAILABILITY, objective, errors, computedAtMs);
    }

    /** The latency SLO: bad events are results served at or above the latency threshold, and UNAVAILABLE ones. */
    BurnRate latency(double objective, long computedAtMs) {
        return burnRate(LATENCY, objective, slow, computedAtMs);
    }

    private BurnRate burnRate(String slo, double objective, long[] bad, long computedAtMs) {
        double allowedErrorRate = 1 - objective;
        List<BurnRateWindow> windows = new ArrayList<>(LOOKBACKS.size());
        for (int i = 0; i < LOOKBACKS.size(); i++) {
            double errorRate = requests[i] == 0 ? 0 : (double) bad[i] / requests[i];
            windows.add(BurnRateWindow.newBuilder()
                    .setWindow(LOOKBACKS.get(i).label())
                    .setWindowMs(LOOKBACKS.get(i).length().toMillis())
                    .setRequests(requests[i])
                    .setBad(bad[i])
                    .setErrorRate(errorRate)
                    .setBurnRate(errorRate / allowedErrorRate)
                    .build());
        }
        int budget = LOOKBACKS.size();
        double allowedBad = allowedErrorRate * requests[budget];
        return BurnRate.newBuilder()
                .setSlo(slo)
                .setObjective(objective)
                .setComputedAt(Instant.ofEpochMilli(computedAtMs))
                .setWindows(windows)
                .setBudgetRemaining(requests[budget] == 0 ? 1 : 1 - bad[budget] / allowedBad)
                .setBudgetWindowMs(BUDGET_WINDOW.toMillis())
                .build();
    }
}
