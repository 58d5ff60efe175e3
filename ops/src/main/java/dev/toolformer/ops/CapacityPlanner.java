package dev.toolformer.ops;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

import dev.toolformer.ops.Regression.Point;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.HealthState;
import dev.toolformer.schema.SloWindow;

/**
 * Turns the history of {@code toolformer.slo} (global windows) and {@code toolformer.health} into hourly
 * series, forecasts each with {@link Regression}, and recommends executor replicas and request
 * partitions from the forecast peaks, with the reasoning.
 */
public final class CapacityPlanner {
    static final double CPU_LIMIT_PERCENT = 80;
    static final double HEAP_LIMIT_BYTES = 1L << 30;
    static final double IN_FLIGHT_SHARE = 0.8;
    static final int MIN_REPLICAS = 2;
    static final String THROUGHPUT = "throughput_per_s";
    static final String IN_FLIGHT = "in_flight";
    static final String HEAP = "heap_used_bytes";
    static final String CPU = "cpu_percent";
    static final String LAG = "consumer_lag";
    private static final String GLOBAL = "*";

    /**
     * @param replicas         executors running now; 0 to count the executors UP in the last hour of history
     * @param partitions       partitions of toolformer.requests now
     * @param maxInFlight      in-flight limit of one executor
     */
    public record Inputs(int replicas, int partitions, int maxInFlight, Duration horizon) {
    }

    /** Hourly series by metric, and the executors UP in the last hour of health history. */
    record History(Map<String, List<Point>> series, int replicasLastHour) {
    }

    /** One metric: its history, forecast and fitted model (null fields when it could not be fitted). */
    record MetricForecast(String metric, String description, List<Point> history, List<Point> forecast, Double peak,
                          Instant peakAt, Double trendPerHour, Double rSquared, List<String> terms) {
    }

    record Recommendation(String resource, int current, int recommended, List<String> reasoning) {
    }

    record Plan(Instant generatedAt, Duration horizon, List<MetricForecast> forecasts, Recommendation replicas,
                Recommendation partitions) {
    }

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            THROUGHPUT, "requests per second, all tools and providers",
            IN_FLIGHT, "requests in flight, all executors",
            HEAP, "heap used by the fullest executor, bytes",
            CPU, "CPU of the busiest executor, %",
            LAG, "consumer lag on toolformer.requests, all executors");

    private CapacityPlanner() {
    }

    public static History history(List<SloWindow> slo, List<ExecutorHealth> health) {
        Map<String, List<Point>> series = new LinkedHashMap<>();
        series.put(THROUGHPUT, throughput(slo));
        Map<Instant, Map<String, List<ExecutorHealth>>> byHour = new TreeMap<>();
        for (ExecutorHealth h : health) {
            byHour.computeIfAbsent(h.getLastSeen().truncatedTo(ChronoUnit.HOURS), k -> new HashMap<>())
                    .computeIfAbsent(h.getExecutorId(), k -> new ArrayList<>()).add(h);
        }
        series.put(IN_FLIGHT, fleet(byHour, ExecutorHealth::getInFlight, true));
        series.put(HEAP, fleet(byHour, ExecutorHealth::getHeapUsedBytes, false));
        series.put(CPU, fleet(byHour, ExecutorHealth::getCpuPercent, false));
        series.put(LAG, fleet(byHour, ExecutorHealth::getConsumerLag, true));
        int replicas = 0;
        if (!byHour.isEmpty()) {
            Map<String, List<ExecutorHealth>> last = byHour.get(((TreeMap<Instant, ?>) byHour).lastKey());
            replicas = (int) last.values().stream()
                    .filter(samples -> samples.stream().max(Comparator.comparing(ExecutorHealth::getLastSeen))
                            .orElseThrow().getState() == HealthState.UP).count();
        }
        return new History(series, replicas);
    }

    /** Mean throughput of the global one-minute windows of each hour (the latest update of each window). */
    private static List<Point> throughput(List<SloWindow> slo) {
        Map<Instant, SloWindow> windows = new HashMap<>();
        for (SloWindow w : slo) {
            if (GLOBAL.equals(w.getTool()) && GLOBAL.equals(w.getProvider())) {
                windows.merge(w.getWindowStart(), w, (a, b) -> b.getIsFinal() || !a.getIsFinal() ? b : a);
            }
        }
        Map<Instant, double[]> hours = new TreeMap<>();
        windows.values().forEach(w -> {
            double[] sumCount = hours.computeIfAbsent(w.getWindowStart().truncatedTo(ChronoUnit.HOURS), k -> new double[2]);
            sumCount[0] += w.getThroughputPerS();
            sumCount[1]++;
        });
        List<Point> out = new ArrayList<>();
        hours.forEach((hour, sc) -> out.add(new Point(hour, sc[0] / sc[1])));
        return out;
    }

    /** Per hour: each executor's mean, then their sum ({@code sum}) or the highest of them. */
    private static List<Point> fleet(Map<Instant, Map<String, List<ExecutorHealth>>> byHour,
                                     ToDoubleFunction<ExecutorHealth> metric, boolean sum) {
        List<Point> out = new ArrayList<>();
        byHour.forEach((hour, executors) -> {
            double[] means = executors.values().stream()
                    .mapToDouble(samples -> samples.stream().mapToDouble(metric).average().orElse(0)).toArray();
            double value = sum ? Arrays.stream(means).sum() : Arrays.stream(means).max().orElse(0);
            out.add(new Point(hour, value));
        });
        return out;
    }

    public static Plan plan(History history, Inputs inputs, Instant now) {
        List<MetricForecast> forecasts = new ArrayList<>();
        history.series().forEach((metric, points) -> forecasts.add(forecast(metric, points, inputs.horizon())));
        Map<String, MetricForecast> byMetric = new HashMap<>();
        forecasts.forEach(f -> byMetric.put(f.metric(), f));
        int current = inputs.replicas() > 0 ? inputs.replicas() : history.replicasLastHour();
        Recommendation replicas = replicas(byMetric, current, inputs);
        Recommendation partitions = partitions(replicas.recommended(), inputs.partitions());
        return new Plan(now, inputs.horizon(), forecasts, replicas, partitions);
    }

    private static MetricForecast forecast(String metric, List<Point> history, Duration horizon) {
        Optional<Regression.Model> fitted = Regression.fit(history);
        if (fitted.isEmpty()) {
            return new MetricForecast(metric, DESCRIPTIONS.get(metric), history, List.of(), null, null, null, null, List.of());
        }
        Regression.Model model = fitted.get();
        List<Point> forecast = new ArrayList<>();
        Instant last = history.getLast().at();
        for (long h = 1; h <= Math.max(1, horizon.toHours()); h++) {
            Instant at = last.plus(Duration.ofHours(h));
            forecast.add(new Point(at, Math.max(0, model.predict(at))));
        }
        Point peak = forecast.stream().max(Comparator.comparingDouble(Point::value)).orElseThrow();
        return new MetricForecast(metric, DESCRIPTIONS.get(metric), history, forecast, peak.value(), peak.at(),
                model.trendPerHour(), model.rSquared(), model.terms());
    }

    /**
     * Replicas so that every forecast peak fits: each signal gives the factor by which the fleet must grow
     * (below 1: it may shrink), the largest wins, never below {@value #MIN_REPLICAS} for availability.
     */
    private static Recommendation replicas(Map<String, MetricForecast> f, int current, Inputs inputs) {
        List<String> why = new ArrayList<>();
        if (current < 1) {
            return new Recommendation("executor replicas", 0, MIN_REPLICAS,
                    List.of("no executor was UP in the last hour of toolformer.health; start with " + MIN_REPLICAS
                            + " for availability and run the forecast again once there is history"));
        }
        List<Double> factors = new ArrayList<>();
        peak(f, CPU).ifPresentOrElse(p -> {
            factors.add(p.peak() / CPU_LIMIT_PERCENT);
            why.add(fmt("CPU of the busiest executor peaks at %.1f %% (%s) %s the %.0f %% limit: x%.2f",
                    p.peak(), p.peakAt(), p.peak() > CPU_LIMIT_PERCENT ? "above" : "within", CPU_LIMIT_PERCENT,
                    p.peak() / CPU_LIMIT_PERCENT));
        }, () -> why.add("CPU: no forecast (too little toolformer.health history)"));
        peak(f, HEAP).ifPresentOrElse(p -> {
            factors.add(p.peak() / HEAP_LIMIT_BYTES);
            why.add(fmt("heap of the fullest executor peaks at %.2f GiB (%s) %s the 1 GiB limit: x%.2f",
                    p.peak() / HEAP_LIMIT_BYTES, p.peakAt(), p.peak() > HEAP_LIMIT_BYTES ? "above" : "within",
                    p.peak() / HEAP_LIMIT_BYTES));
        }, () -> why.add("heap: no forecast (too little toolformer.health history)"));
        peak(f, IN_FLIGHT).ifPresentOrElse(p -> {
            double limit = IN_FLIGHT_SHARE * inputs.maxInFlight() * current;
            factors.add(p.peak() / limit);
            why.add(fmt("requests in flight peak at %,.0f (%s) against %.0f %% of %d x %,d = %,.0f: x%.2f", p.peak(),
                    p.peakAt(), 100 * IN_FLIGHT_SHARE, current, inputs.maxInFlight(), limit, p.peak() / limit));
        }, () -> why.add("in-flight: no forecast (too little toolformer.health history)"));
        lagFactor(f).ifPresent(lag -> {
            factors.add(lag.getKey());
            why.add(lag.getValue());
        });
        if (factors.isEmpty()) {
            why.add("no resource forecast: keep the current replicas");
            return new Recommendation("executor replicas", current, Math.max(current, MIN_REPLICAS), why);
        }
        double factor = factors.stream().mapToDouble(d -> d).max().orElseThrow();
        int recommended = Math.max(MIN_REPLICAS, (int) Math.ceil(current * factor - 1e-9));
        why.add(fmt("%d replicas x %.2f (the largest factor) -> %d, at least %d for availability",
                current, factor, recommended, MIN_REPLICAS));
        return new Recommendation("executor replicas", current, recommended, why);
    }

    /** A growing lag means requests arrive faster than the fleet finishes them: grow by arrival / processing. */
    private static Optional<Map.Entry<Double, String>> lagFactor(Map<String, MetricForecast> f) {
        MetricForecast lag = f.get(LAG);
        MetricForecast throughput = f.get(THROUGHPUT);
        if (lag == null || lag.trendPerHour() == null) {
            return Optional.empty();
        }
        double growthPerSecond = lag.trendPerHour() / 3600;
        if (growthPerSecond <= 0) {
            return Optional.of(Map.entry(0.0, fmt("consumer lag is not growing (trend %,.0f records/h)", lag.trendPerHour())));
        }
        if (throughput == null || throughput.peak() == null || throughput.peak() <= 0) {
            return Optional.of(Map.entry(1.0, fmt("consumer lag grows by %,.0f records/h but there is no throughput "
                    + "history to size the growth against: add replicas by hand", lag.trendPerHour())));
        }
        double factor = (throughput.peak() + growthPerSecond) / throughput.peak();
        return Optional.of(Map.entry(factor, fmt("consumer lag grows by %,.0f records/h: processing must rise from "
                + "%.1f to %.1f requests/s: x%.2f", lag.trendPerHour(), throughput.peak(), throughput.peak() + growthPerSecond, factor)));
    }

    private static Recommendation partitions(int replicas, int current) {
        int needed = 2 * replicas;
        List<String> why = new ArrayList<>();
        why.add(fmt("each executor needs at least one partition of toolformer.requests, and the autoscaler room to "
                + "double the fleet: 2 x %d = %d", replicas, needed));
        if (current >= needed) {
            why.add(fmt("the topic has %d: enough", current));
            return new Recommendation("toolformer.requests partitions", current, current, why);
        }
        why.add(fmt("the topic has %d: add %d (partitions can only be added; keys move to new partitions, "
                + "so KEY ordering restarts for moved keys)", current, needed - current));
        return new Recommendation("toolformer.requests partitions", current, needed, why);
    }

    private static Optional<MetricForecast> peak(Map<String, MetricForecast> f, String metric) {
        return Optional.ofNullable(f.get(metric)).filter(m -> m.peak() != null);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
