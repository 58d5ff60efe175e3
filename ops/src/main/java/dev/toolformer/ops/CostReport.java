package dev.toolformer.ops;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

import dev.toolformer.common.result.ToolStatuses;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolResult;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * What the results of a period cost, by provider, model and tool, what speculation wasted, and
 * recommendations whose savings are computed from those results and the price table only.
 */
public final class CostReport {
    private static final Duration MONTH = Duration.ofDays(30);

    /**
     * @param smallRequestTokens     a tool's requests on a model are "small" when 90 % of them use at most
     *                               this many tokens (input + output): a cheaper model is then suggested
     * @param minSpeculationAccuracy below this share of speculative calls used, raising the threshold is suggested
     * @param highVarianceRatio      a model whose cost per request has a coefficient of variation above this is flagged
     */
    public record Options(long smallRequestTokens, double minSpeculationAccuracy, double highVarianceRatio) {
        static final Options DEFAULTS = new Options(1_000, 0.7, 1.0);

        public Options {
            if (smallRequestTokens < 1) {
                throw new IllegalArgumentException("small-request tokens must be >= 1, was " + smallRequestTokens);
            }
            if (!(minSpeculationAccuracy >= 0 && minSpeculationAccuracy <= 1)) {
                throw new IllegalArgumentException("min speculation accuracy must be within [0, 1], was " + minSpeculationAccuracy);
            }
        }
    }

    /** Cost of one group of results; variance and standard deviation are of the sample of per-request costs. */
    public record Line(String key, long requests, long inputTokens, long outputTokens, double costUsd, double costPerRequestUsd,
                double costPerRequestVariance, double costPerRequestStddev, double maxCostUsd) {
    }

    /** Speculative calls of one tool ({@code *} for all) and what the unused ones cost. */
    public record Speculation(String tool, long speculative, long used, long unused, long unresolved, Double accuracy,
                       double wastedCostUsd, double unresolvedCostUsd) {
    }

    /** One suggestion; savings are null when it saves nothing measurable. */
    public record Recommendation(String kind, String target, String reasoning, Double savingsUsd, Double savingsUsdPer30Days) {
    }

    /**
     * @param requests   unique results of the period, every status
     * @param notServed  of those, the ones that never reached a provider (REJECTED: the client's mistake;
     *                   UNAVAILABLE: breaker open or throttled); they cost nothing and are left out of the lines,
     *                   so that an outage does not lower the cost per request
     */
    public record Report(String from, String to, String pricing, long requests, long notServed, long duplicateResults,
                  double costUsd,
                  List<Line> byProvider, List<Line> byModel, List<Line> byTool, List<Speculation> speculation,
                  List<Recommendation> recommendations, double totalSavingsUsd, double totalSavingsUsdPer30Days) {
    }

    private CostReport() {
    }

    /** The report of the results finished within {@code [from, to)}. */
    public static Report build(List<ToolResult> results, List<SpeculationOutcome> outcomes, PriceTable prices, Instant from,
                        Instant to, Options options) {
        Objects.requireNonNull(prices, "prices == null");
        Map<String, ToolResult> unique = new LinkedHashMap<>();
        long inWindow = 0;
        for (ToolResult r : results) {
            if (r.getFinishedAt().isBefore(from) || !r.getFinishedAt().isBefore(to)) {
                continue;
            }
            inWindow++;
            unique.putIfAbsent(r.getRequestId(), r);
        }
        List<ToolResult> all = List.copyOf(unique.values());
        List<ToolResult> kept = all.stream().filter(r -> ToolStatuses.reachedProvider(r.getStatus())).toList();
        double monthFactor = (double) MONTH.toMillis() / Duration.between(from, to).toMillis();
        List<Speculation> speculation = speculation(kept, outcomes);
        List<Recommendation> recs = new ArrayList<>();
        recs.addAll(cheaperModels(kept, prices, options, monthFactor));
        recs.addAll(speculationThresholds(speculation, options, monthFactor));
        recs.addAll(highVariance(lines(kept, CostReport::modelKey), options));
        double savings = recs.stream().map(Recommendation::savingsUsd).filter(Objects::nonNull).mapToDouble(d -> d).sum();
        return new Report(from.toString(), to.toString(), prices.source(), all.size(), all.size() - kept.size(),
                inWindow - all.size(),
                kept.stream().mapToDouble(ToolResult::getCostUsd).sum(),
                lines(kept, r -> orNone(r.getProvider())), lines(kept, CostReport::modelKey), lines(kept, r -> r.getTool()),
                speculation, recs, savings, savings * monthFactor);
    }

    private static List<Line> lines(List<ToolResult> results, Function<ToolResult, String> key) {
        Map<String, List<ToolResult>> groups = new TreeMap<>();
        results.forEach(r -> groups.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r));
        List<Line> out = new ArrayList<>();
        groups.forEach((k, rs) -> {
            SummaryStatistics cost = new SummaryStatistics();
            rs.forEach(r -> cost.addValue(r.getCostUsd()));
            out.add(new Line(k, rs.size(), rs.stream().mapToLong(ToolResult::getInputTokens).sum(),
                    rs.stream().mapToLong(ToolResult::getOutputTokens).sum(), cost.getSum(), cost.getMean(),
                    rs.size() > 1 ? cost.getVariance() : 0, rs.size() > 1 ? cost.getStandardDeviation() : 0, cost.getMax()));
        });
        out.sort(Comparator.comparingDouble(Line::costUsd).reversed().thenComparing(Line::key));
        return out;
    }

    /** Per tool and overall ({@code *}): a speculative call whose outcome says "not used" is wasted cost. */
    private static List<Speculation> speculation(List<ToolResult> results, List<SpeculationOutcome> outcomes) {
        Map<String, Boolean> used = new HashMap<>();
        outcomes.forEach(o -> used.put(o.getRequestId(), o.getUsed()));
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, double[]> costs = new TreeMap<>();
        for (ToolResult r : results) {
            if (!r.getSpeculative()) {
                continue;
            }
            Boolean u = used.get(r.getRequestId());
            int slot = u == null ? 2 : u ? 0 : 1;
            for (String tool : List.of(r.getTool(), "*")) {
                counts.computeIfAbsent(tool, t -> new long[3])[slot]++;
                costs.computeIfAbsent(tool, t -> new double[3])[slot] += r.getCostUsd();
            }
        }
        List<Speculation> out = new ArrayList<>();
        counts.forEach((tool, c) -> {
            double[] cost = costs.get(tool);
            Double accuracy = c[0] + c[1] == 0 ? null : (double) c[0] / (c[0] + c[1]);
            out.add(new Speculation(tool, c[0] + c[1] + c[2], c[0], c[1], c[2], accuracy, cost[1], cost[2]));
        });
        return out;
    }

    /**
     * For each tool's small requests on a model, the provider's model that would have cost least for
     * exactly those token counts; savings = what they cost minus that.
     */
    private static List<Recommendation> cheaperModels(List<ToolResult> results, PriceTable prices, Options options,
                                                      double monthFactor) {
        Map<String, List<ToolResult>> groups = new TreeMap<>();
        results.stream().filter(r -> r.getInputTokens() + r.getOutputTokens() > 0)
                .forEach(r -> groups.computeIfAbsent(r.getTool() + "|" + modelKey(r), k -> new ArrayList<>()).add(r));
        List<Recommendation> out = new ArrayList<>();
        for (List<ToolResult> group : groups.values()) {
            ToolResult first = group.getFirst();
            long p90 = p90Tokens(group);
            if (p90 > options.smallRequestTokens()) {
                continue;
            }
            double actual = group.stream().mapToDouble(ToolResult::getCostUsd).sum();
            String best = null;
            double bestCost = actual;
            for (String model : prices.models(first.getProvider())) {
                if (model.equals(first.getModel())) {
                    continue;
                }
                double repriced = group.stream().mapToDouble(r -> prices.costUsd(r.getProvider(), model,
                        r.getInputTokens(), r.getOutputTokens())).sum();
                if (repriced < bestCost) {
                    best = model;
                    bestCost = repriced;
                }
            }
            if (best != null) {
                double saved = actual - bestCost;
                out.add(new Recommendation("cheaper-model", first.getTool() + " on " + modelKey(first), String.format(Locale.ROOT,
                        "%d requests of tool %s on %s used at most %d tokens in 90 %% of cases (<= %d): small. They cost $%.4f; "
                                + "the same tokens on %s/%s cost $%.4f at %s prices. Route this tool's requests to %s if its quality suffices.",
                        group.size(), first.getTool(), modelKey(first), p90, options.smallRequestTokens(), actual,
                        first.getProvider(), best, bestCost, prices.source(), best), saved, saved * monthFactor));
            }
        }
        return out;
    }

    private static List<Recommendation> speculationThresholds(List<Speculation> speculation, Options options,
                                                              double monthFactor) {
        List<Recommendation> out = new ArrayList<>();
        for (Speculation s : speculation) {
            if (s.tool().equals("*") || s.accuracy() == null || s.accuracy() >= options.minSpeculationAccuracy() || s.unused() == 0) {
                continue;
            }
            out.add(new Recommendation("speculation-threshold", s.tool(), String.format(Locale.ROOT,
                    "Only %d of %d decided speculative calls of tool %s were used (%.1f %% < %.1f %%). Raising the speculation "
                            + "threshold for it saves up to $%.4f, what its %d unused speculative calls cost.",
                    s.used(), s.used() + s.unused(), s.tool(), 100 * s.accuracy(), 100 * options.minSpeculationAccuracy(),
                    s.wastedCostUsd(), s.unused()), s.wastedCostUsd(), s.wastedCostUsd() * monthFactor));
        }
        return out;
    }

    private static List<Recommendation> highVariance(List<Line> byModel, Options options) {
        List<Recommendation> out = new ArrayList<>();
        for (Line l : byModel) {
            if (l.requests() < 2 || l.costPerRequestUsd() <= 0) {
                continue;
            }
            double cv = l.costPerRequestStddev() / l.costPerRequestUsd();
            if (cv > options.highVarianceRatio()) {
                out.add(new Recommendation("cost-variance", l.key(), String.format(Locale.ROOT,
                        "Cost per request on %s varies widely: mean $%.6f, standard deviation $%.6f (%.1f x the mean), max $%.6f. "
                                + "Look for oversized prompts or outputs; a token cap bounds the worst case.",
                        l.key(), l.costPerRequestUsd(), l.costPerRequestStddev(), cv, l.maxCostUsd()), null, null));
            }
        }
        return out;
    }

    private static long p90Tokens(List<ToolResult> group) {
        long[] tokens = group.stream().mapToLong(r -> r.getInputTokens() + r.getOutputTokens()).sorted().toArray();
        return tokens[(int) Math.ceil(0.9 * tokens.length) - 1];
    }

    private static String modelKey(ToolResult r) {
        return orNone(r.getProvider()) + "/" + orNone(r.getModel());
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "none" : s;
    }

    /** The report as the terminal table {@code toolformer cost-report} prints. */
    public static void print(Report r, PrintWriter out) {
        out.printf("== cost report %s .. %s (prices: %s)%n", r.from(), r.to(), r.pricing());
        out.printf("%,d requests (%,d not served: rejected or unavailable, left out below; %,d duplicate results ignored),"
                + " $%.4f%n", r.requests(), r.notServed(), r.duplicateResults(), r.costUsd());
        table(out, "by provider", r.byProvider());
        table(out, "by model", r.byModel());
        table(out, "by tool", r.byTool());
        out.println();
        out.println("speculation");
        out.printf("  %-28s %11s %8s %8s %10s %9s %12s%n", "TOOL", "SPECULATIVE", "USED", "UNUSED", "UNRESOLVED", "ACCURACY", "WASTED");
        for (Speculation s : r.speculation()) {
            out.printf("  %-28s %,11d %,8d %,8d %,10d %9s %12s%n", s.tool(), s.speculative(), s.used(), s.unused(),
                    s.unresolved(), s.accuracy() == null ? "-" : String.format("%.1f %%", 100 * s.accuracy()),
                    String.format("$%.4f", s.wastedCostUsd()));
        }
        out.println();
        out.println("recommendations");
        if (r.recommendations().isEmpty()) {
            out.println("  none: no small requests on an expensive model, speculation accurate enough, no erratic costs");
        }
        for (Recommendation rec : r.recommendations()) {
            out.printf("  [%s] %s%s%n    %s%n", rec.kind(), rec.target(), rec.savingsUsd() == null ? ""
                    : String.format("  saves $%.4f in the period (~$%.2f per 30 days at this rate)", rec.savingsUsd(),
                    rec.savingsUsdPer30Days()), rec.reasoning());
        }
        out.printf("estimated savings: $%.4f in the period, ~$%.2f per 30 days at this rate%n", r.totalSavingsUsd(),
                r.totalSavingsUsdPer30Days());
    }

    private static void table(PrintWriter out, String title, List<Line> lines) {
        out.println();
        out.println(title);
        out.printf("  %-36s %9s %13s %12s %11s %13s %13s%n", "", "REQUESTS", "TOKENS IN", "TOKENS OUT", "COST", "PER REQUEST", "STDDEV");
        for (Line l : lines) {
            out.printf("  %-36s %,9d %,13d %,12d %11s %13s %13s%n", l.key(), l.requests(), l.inputTokens(), l.outputTokens(),
                    String.format("$%.4f", l.costUsd()), String.format("$%.6f", l.costPerRequestUsd()),
                    String.format("$%.6f", l.costPerRequestStddev()));
        }
    }
}
