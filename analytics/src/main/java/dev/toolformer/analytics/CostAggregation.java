package dev.toolformer.analytics;

import java.time.Duration;
import java.time.Instant;

import dev.toolformer.analytics.internal.CostAccumulator;
import dev.toolformer.schema.ToolResult;

/**
 * Folds results into a cost window's {@link CostAccumulator} and names cost windows. Cost is summed in
 * integer nano-dollars ({@link #nanos}), so a total does not depend on the order results arrive in and a
 * recomputation from the raw results gives the same number to the last bit. A group is
 * {@code <provider>|<model>}; an output record is keyed {@code <provider>|<model>|<size>|<window start,
 * ISO-8601 UTC>}, e.g. {@code openai|gpt-4o|1h|2026-01-01T12:00:00Z}. An empty provider or model is
 * reported as {@value SloKeys#NONE}; a provider name must not contain {@code |} (a model name may).
 */
final class CostAggregation {
    static final Duration MINUTE = Duration.ofMinutes(1);
    static final Duration HOUR = Duration.ofHours(1);
    /** The baseline of a window: the complete hours before the hour it starts in. */
    static final Duration TRAILING = Duration.ofHours(24);
    private static final double NANOS_PER_USD = 1e9;

    private CostAggregation() {
    }

    static String group(ToolResult result) {
        return orNone(result.getProvider()) + "|" + orNone(result.getModel());
    }

    static String provider(String group) {
        return group.substring(0, group.indexOf('|'));
    }

    static String model(String group) {
        return group.substring(group.indexOf('|') + 1);
    }

    static String label(Duration size) {
        return size.equals(HOUR) ? "1h" : size.equals(MINUTE) ? "1m" : size.toString();
    }

    static String window(String group, String label, long windowStartMs) {
        return group + "|" + label + "|" + Instant.ofEpochMilli(windowStartMs);
    }

    static CostAccumulator empty() {
        return CostAccumulator.newBuilder().build();
    }

    static CostAccumulator add(ToolResult result, CostAccumulator acc) {
        return CostAccumulator.newBuilder()
                .setRequests(acc.getRequests() + 1)
                .setInputTokens(acc.getInputTokens() + result.getInputTokens())
                .setOutputTokens(acc.getOutputTokens() + result.getOutputTokens())
                .setCostNanoUsd(acc.getCostNanoUsd() + nanos(result.getCostUsd()))
                .build();
    }

    static CostAccumulator plus(CostAccumulator a, CostAccumulator b) {
        return CostAccumulator.newBuilder()
                .setRequests(a.getRequests() + b.getRequests())
                .setInputTokens(a.getInputTokens() + b.getInputTokens())
                .setOutputTokens(a.getOutputTokens() + b.getOutputTokens())
                .setCostNanoUsd(a.getCostNanoUsd() + b.getCostNanoUsd())
                .build();
    }

    /** Start of the first hour window of the baseline of a window starting at {@code startMs}. */
    static long baselineFirstHour(long startMs) {
        return currentHour(startMs) - TRAILING.toMillis();
    }

    /** Start of the last hour window of the baseline: the hour before the one {@code startMs} is in. */
    static long baselineLastHour(long startMs) {
        return currentHour(startMs) - HOUR.toMillis();
    }

    private static long currentHour(long startMs) {
        return Math.floorDiv(startMs, HOUR.toMillis()) * HOUR.toMillis();
    }

    /** A cost in USD as a whole number of nano-dollars (1e-9 USD), rounded to the nearest. */
    static long nanos(double usd) {
        return Math.round(usd * NANOS_PER_USD);
    }

    static double usd(long nanos) {
        return nanos / NANOS_PER_USD;
    }

    private static String orNone(String name) {
        return name == null || name.isEmpty() ? SloKeys.NONE : name;
    }
}
