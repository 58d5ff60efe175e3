package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.toolformer.executor.ExecutorStats;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;

/** What a demo run did, printed as a short readable report. */
final class DemoSummary {
    /** Cost and volume of one provider/model. */
    private static final class ModelCost {
        long requests;
        long inputTokens;
        long outputTokens;
        double costUsd;
    }

    /**
     * The speculative calls resolved in the all-tools windows of {@code toolformer.speculation}, from the latest
     * record of each window; {@code open} when one of them is not final yet.
     */
    record Speculation(long hits, long misses, double wastedCostUsd, boolean open) {
        static final Speculation NONE = new Speculation(0, 0, 0, false);

        /** Sums the all-tools ({@code *}) windows of {@code latest}, the latest record per window. */
        static Speculation of(List<SpeculationWindow> latest) {
            long hits = 0;
            long misses = 0;
            double wasted = 0;
            boolean open = false;
            for (SpeculationWindow window : latest) {
                if ("*".equals(window.getTool())) {
                    hits += window.getHits();
                    misses += window.getMisses();
                    wasted += window.getWastedCostUsd();
                    open |= !window.getIsFinal();
                }
            }
            return new Speculation(hits, misses, wasted, open);
        }

        long resolved() {
            return hits + misses;
        }
    }

    private static final int MAX_LINES = 15;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private final double rate;
    private final Duration duration;
    private final Map<ToolStatus, Long> byStatus = new EnumMap<>(ToolStatus.class);
    private final Map<String, ModelCost> byModel = new TreeMap<>();
    private final List<Long> latenciesMs = new ArrayList<>();
    private long sent;
    private long failedToSend;
    private long received;
    private long missing;
    private Duration elapsed = Duration.ZERO;
    private List<AlertEvent> alerts = List.of();
    private List<SloWindow> sloWindows = List.of();
    private ExecutorStats executor;
    private List<IncidentAction> incidents = List.of();
    private int executorCount;
    private Speculation speculation = Speculation.NONE;
    private long outcomesReported;

    DemoSummary(double rate, Duration duration) {
        this.rate = rate;
        this.duration = duration;
    }

    synchronized void add(ToolResult result) {
        received++;
        byStatus.merge(result.getStatus(), 1L, Long::sum);
        latenciesMs.add(result.getFinishedAt().toEpochMilli() - result.getSubmittedAt().toEpochMilli());
        if (!result.getModel().isEmpty() && !result.getModel().equals("none")) {
            ModelCost cost = byModel.computeIfAbsent(result.getProvider() + "/" + result.getModel(), k -> new ModelCost());
            cost.requests++;
            cost.inputTokens += result.getInputTokens();
            cost.outputTokens += result.getOutputTokens();
            cost.costUsd += result.getCostUsd();
        }
    }

    synchronized void sent(long sent, long failedToSend) {
        this.sent = sent;
        this.failedToSend = failedToSend;
    }

    synchronized void finished(Duration elapsed, long missing) {
        this.elapsed = elapsed;
        this.missing = missing;
    }

    synchronized void alerts(List<AlertEvent> alerts) {
        this.alerts = alerts;
    }

    synchronized void sloWindows(List<SloWindow> windows) {
        this.sloWindows = windows;
    }

    synchronized void incidents(List<IncidentAction> actions, int executors) {
        this.incidents = actions;
        this.executorCount = executors;
    }

    /** The speculation windows' figures, and how many outcomes the load reported (which they should count). */
    synchronized void speculation(Speculation speculation, long outcomesReported) {
        this.speculation = speculation;
        this.outcomesReported = outcomesReported;
    }

    synchronized void executor(ExecutorStats stats) {
        this.executor = stats;
    }

    synchronized long missing() {
        return missing;
    }

    synchronized void print(PrintWriter out) {
        out.println();
        out.printf("== toolformer demo summary (%s at %.0f requests/s; load + drain took %.1f s)%n",
                DemoCommand.human(duration), rate, elapsed.toMillis() / 1000.0);
        out.printf("requests sent       %,d%s%n", sent, failedToSend > 0 ? " (" + failedToSend + " failed to publish)" : "");
        out.printf("results received    %,d of %,d (%s)%n", received, sent,
                missing == 0 ? "every request has its result" : missing + " MISSING");
        StringBuilder statuses = new StringBuilder();
        for (ToolStatus status : ToolStatus.values()) {
            statuses.append(String.format("  %s %,d", status, byStatus.getOrDefault(status, 0L)));
        }
        out.println("results by status  " + statuses);
        printLatency(out);
        if (executor != null) {
            out.printf("executors           peak in flight %,d (max %,d), completed %,d, retries %,d, dead letters %,d,"
                    + " rejected %,d, unavailable %,d, cancelled %,d%n", executor.peakInFlight(), executor.maxInFlight(),
                    executor.completed(), executor.retries(), executor.deadLetters(), executor.rejected(),
                    executor.unavailable(), executor.cancelled());
            out.printf("circuit breakers    opened %,d times, closed %,d times by successful probe calls%n",
                    executor.breakersOpened(), executor.breakersClosedByProbes());
        }
        printCost(out);
        printSpeculation(out);
        printSlo(out);
        printAlerts(out);
        printIncidents(out);
    }

    private void printIncidents(PrintWriter out) {
        out.printf("incident actions    %d on toolformer.incidents; %d executor(s) running at the end%n",
                incidents.size(), executorCount);
        incidents.stream().limit(MAX_LINES).forEach(a -> out.printf("  %-18s %-16s %-16s %s%n",
                a.getOutcome(), a.getAction(), a.getRule(), a.getDetail()));
        if (incidents.size() > MAX_LINES) {
            out.printf("  ... and %d more (toolformer.incidents)%n", incidents.size() - MAX_LINES);
        }
    }

    private void printLatency(PrintWriter out) {
        if (latenciesMs.isEmpty()) {
            return;
        }
        List<Long> sorted = latenciesMs.stream().sorted().toList();
        out.printf("latency (submit -> result, ms)  p50 %d  p95 %d  p99 %d  max %d%n",
                percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99), sorted.getLast());
    }

    private void printCost(PrintWriter out) {
        out.println("cost by model");
        double total = 0;
        for (var entry : byModel.entrySet()) {
            ModelCost c = entry.getValue();
            total += c.costUsd;
            out.printf("  %-30s %,7d requests  %,11d tokens in  %,10d out  $%.4f%n",
                    entry.getKey(), c.requests, c.inputTokens, c.outputTokens, c.costUsd);
        }
        out.printf("  %-30s $%.4f%n", "total", total);
    }

    private void printSpeculation(PrintWriter out) {
        Speculation s = speculation;
        String accuracy = s.resolved() == 0 ? "n/a" : String.format("%.1f %%", 100.0 * s.hits() / s.resolved());
        long uncounted = outcomesReported - s.resolved();
        String state = uncounted > 0 ? String.format(" (still open; %,d reported outcomes not counted yet)", uncounted)
                : s.open() ? " (still open)" : "";
        out.printf("speculation         %,d speculative calls resolved: %,d used, %,d wasted (accuracy %s),"
                + " wasted cost $%.4f%s%n", s.resolved(), s.hits(), s.misses(), accuracy, s.wastedCostUsd(), state);
    }

    private void printSlo(PrintWriter out) {
        long finals = sloWindows.stream().filter(SloWindow::getIsFinal).count();
        SloWindow last = null;
        for (SloWindow w : sloWindows) {
            if ("*".equals(w.getTool()) && (last == null || !w.getWindowStart().isBefore(last.getWindowStart()))) {
                last = w;
            }
        }
        out.printf("SLO windows         %,d updates on toolformer.slo (%d final)%n", sloWindows.size(), finals);
        if (last != null) {
            out.printf("  latest global minute %s: %d requests, error rate %.2f %%, availability %.3f %%, p95 %.0f ms%n",
                    last.getWindowStart(), last.getRequests(), last.getErrorRate() * 100, last.getAvailability() * 100,
                    last.getLatencyP95Ms());
        }
    }

    /** One line per alert series: its transitions in order, e.g. PENDING → FIRING → RESOLVED. */
    private void printAlerts(PrintWriter out) {
        Map<String, List<AlertEvent>> series = new LinkedHashMap<>();
        alerts.forEach(a -> series.computeIfAbsent(a.getFingerprint(), f -> new ArrayList<>()).add(a));
        out.printf("alerts              %d transitions on toolformer.alerts, %d series%n", alerts.size(), series.size());
        series.values().stream().limit(MAX_LINES).forEach(events -> {
            AlertEvent first = events.getFirst();
            Map<String, String> labels = new TreeMap<>(first.getLabels());
            labels.remove("alertname");
            StringBuilder states = new StringBuilder();
            for (AlertEvent a : events) {
                states.append(states.isEmpty() ? "" : " → ").append(a.getState()).append(' ')
                        .append(TIME.format(a.getEventTime()));
            }
            double peak = events.stream().mapToDouble(AlertEvent::getValue).max().orElse(Double.NaN);
            out.printf("  %-16s %s  %s (peak value %.4f, threshold %.4f)%n", first.getRule(), labels, states, peak,
                    first.getThreshold());
        });
        if (series.size() > MAX_LINES) {
            out.printf("  ... and %d more series (toolformer.alerts)%n", series.size() - MAX_LINES);
        }
    }

    private static long percentile(List<Long> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
