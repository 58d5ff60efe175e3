package dev.toolformer.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.Expr;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.BurnRateWindow;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.HealthState;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationWindow;

/** Aggregate records and alert events for tests, with only the fields a test varies as parameters. */
public final class Records {
    private Records() {
    }

    public static SloWindow slo(String tool, String provider, Instant end, double errorRate, double p95) {
        return SloWindow.newBuilder().setWindowStart(end.minusSeconds(60)).setWindowEnd(end).setTool(tool)
                .setProvider(provider).setIsFinal(true).setRequests(1000)
                .setSuccess(1000 - Math.round(errorRate * 1000)).setErrors(Math.round(errorRate * 1000))
                .setTimeouts(0).setCancelled(0).setRejected(0).setErrorRate(errorRate).setAvailability(1 - errorRate)
                .setThroughputPerS(1000 / 60.0).setLatencyP50Ms(p95 / 2).setLatencyP95Ms(p95)
                .setLatencyP99Ms(p95 * 1.5).setLatencyMaxMs(p95 * 2).setExecutionP50Ms(p95 / 3)
                .setExecutionP95Ms(p95 / 2).setExecutionP99Ms(p95).setExecutionMaxMs(p95 * 1.5).setEmittedAt(end)
                .build();
    }

    /**
     * One update of a one-minute SLO window: {@code requests} calls, {@code errors} of which failed, and a
     * 500 ms p95; {@code isFinal} for the window's last update.
     */
    public static SloWindow sloUpdate(String tool, String provider, Instant end, long requests, long errors,
                               boolean isFinal) {
        double errorRate = requests == 0 ? 0 : (double) errors / requests;
        return SloWindow.newBuilder(slo(tool, provider, end, errorRate, 500)).setIsFinal(isFinal)
                .setRequests(requests).setSuccess(requests - errors).setErrors(errors)
                .setAvailability(1 - errorRate).setThroughputPerS(requests / 60.0).build();
    }

    public static ExecutorHealth health(String executor, HealthState state, long heapUsed, Instant lastSeen) {
        return ExecutorHealth.newBuilder().setExecutorId(executor).setState(state).setLastSeen(lastSeen)
                .setHeapUsedBytes(heapUsed).setHeapMaxBytes(4L << 30).setHeapUsedRatio(heapUsed / (double) (4L << 30))
                .setCpuPercent(10).setInFlight(3)
                .setConsumerLag(0).setChangedAt(lastSeen).build();
    }

    public static CostWindow cost(String provider, String model, String size, Instant end, double costUsd, Double variance) {
        return CostWindow.newBuilder().setWindowStart(end.minus(size.equals("1h") ? Duration.ofHours(1)
                        : Duration.ofMinutes(1))).setWindowEnd(end).setWindowSize(size).setProvider(provider)
                .setModel(model).setRequests(100).setInputTokens(1000).setOutputTokens(500).setCostUsd(costUsd)
                .setCostPerRequestUsd(costUsd / 100).setTrailingCostPerRequestUsd(variance == null ? null : 0.01)
                .setVarianceRatio(variance).setIsFinal(false).setEmittedAt(end).build();
    }

    public static SpeculationWindow speculation(String tool, Instant end, long hits, long misses) {
        return SpeculationWindow.newBuilder().setWindowStart(end.minusSeconds(60)).setWindowEnd(end).setTool(tool)
                .setHits(hits).setMisses(misses).setUnresolved(0)
                .setAccuracy(hits + misses == 0 ? 0 : (double) hits / (hits + misses))
                .setWastedCostUsd(misses * 0.01).setIsFinal(true).setEmittedAt(end).build();
    }

    /** A burn-rate record; {@code rates} maps window labels ("5m", "1h", ...) to burn rates, others are 0. */
    public static BurnRate burn(String slo, Instant at, Map<String, Double> rates) {
        Map<String, Duration> windows = new LinkedHashMap<>();
        windows.put("5m", Duration.ofMinutes(5));
        windows.put("30m", Duration.ofMinutes(30));
        windows.put("1h", Duration.ofHours(1));
        windows.put("2h", Duration.ofHours(2));
        windows.put("6h", Duration.ofHours(6));
        windows.put("1d", Duration.ofDays(1));
        windows.put("3d", Duration.ofDays(3));
        List<BurnRateWindow> list = windows.entrySet().stream().map(w -> {
            double rate = rates.getOrDefault(w.getKey(), 0.0);
            return BurnRateWindow.newBuilder().setWindow(w.getKey()).setWindowMs(w.getValue().toMillis())
                    .setRequests(10_000).setBad(Math.round(rate * 10)).setErrorRate(rate * 0.001).setBurnRate(rate)
                    .build();
        }).toList();
        return BurnRate.newBuilder().setSlo(slo).setObjective(0.999).setComputedAt(at).setWindows(list)
                .setBudgetRemaining(0.5).setBudgetWindowMs(Duration.ofDays(30).toMillis()).build();
    }

    public static AlertEvent alert(String rule, Map<String, String> series, AlertState state, Instant activeSince,
                            Instant at) {
        Map<String, String> labels = new LinkedHashMap<>(series);
        labels.put("alertname", rule);
        labels.put("severity", "critical");
        String fingerprint = new AlertRule(rule, "error_rate", Expr.Comparator.GT, 0, Duration.ZERO, "critical",
                Map.of(), Map.of()).fingerprint(series);
        return AlertEvent.newBuilder().setFingerprint(fingerprint).setRule(rule).setState(state)
                .setSeverity("critical").setLabels(labels).setAnnotations(Map.of("summary", rule + " " + new TreeMap<>(series)))
                .setValue(0.5).setThreshold(0.01).setActiveSince(activeSince).setEventTime(at)
                .setSourceTopic("toolformer.slo").build();
    }
}
