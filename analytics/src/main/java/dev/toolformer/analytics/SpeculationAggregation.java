package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.analytics.internal.Resolution;
import dev.toolformer.analytics.internal.SpeculationAccumulator;
import dev.toolformer.analytics.internal.SpeculationResolution;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.streams.kstream.Window;

/**
 * Speculation accuracy: a speculative result joined with its outcome is a HIT ({@code used}) or a MISS;
 * one with no outcome within the speculation window is UNRESOLVED, which is neither (accuracy is
 * {@code hits / (hits + misses)}). Wasted cost is the cost of the misses, summed in nano-dollars like
 * {@link CostAggregation}. Output records are keyed {@code <tool>|<window start, ISO-8601 UTC>}, with
 * tool {@value SloKeys#ALL} for all tools.
 */
final class SpeculationAggregation {
    private SpeculationAggregation() {
    }

    /** The left join's joiner: {@code outcome} is null when none came within the window. */
    static SpeculationResolution resolve(ToolResult result, SpeculationOutcome outcome) {
        Resolution resolution = outcome == null ? Resolution.UNRESOLVED
                : outcome.getUsed() ? Resolution.HIT : Resolution.MISS;
        return SpeculationResolution.newBuilder()
                .setRequestId(result.getRequestId())
                .setTool(result.getTool() == null || result.getTool().isEmpty() ? SloKeys.NONE : result.getTool())
                .setResolution(resolution)
                .setCostNanoUsd(CostAggregation.nanos(result.getCostUsd()))
                .setFinishedAt(result.getFinishedAt())
                .build();
    }

    static SpeculationAccumulator empty() {
        return SpeculationAccumulator.newBuilder().build();
    }

    static SpeculationAccumulator add(SpeculationResolution resolution, SpeculationAccumulator acc) {
        SpeculationAccumulator.Builder next = SpeculationAccumulator.newBuilder(acc);
        switch (resolution.getResolution()) {
            case HIT -> next.setHits(acc.getHits() + 1);
            case MISS -> next.setMisses(acc.getMisses() + 1)
                    .setWastedCostNanoUsd(acc.getWastedCostNanoUsd() + resolution.getCostNanoUsd());
            case UNRESOLVED -> next.setUnresolved(acc.getUnresolved() + 1);
        }
        return next.build();
    }

    static String window(String tool, long windowStartMs) {
        return tool + "|" + Instant.ofEpochMilli(windowStartMs);
    }

    static SpeculationWindow toSpeculationWindow(String tool, Window window, SpeculationAccumulator acc,
                                                 boolean isFinal, long nowMs) {
        long decided = acc.getHits() + acc.getMisses();
        return SpeculationWindow.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(window.start()))
                .setWindowEnd(Instant.ofEpochMilli(window.end()))
                .setTool(tool)
                .setHits(acc.getHits())
                .setMisses(acc.getMisses())
                .setUnresolved(acc.getUnresolved())
                .setAccuracy(decided == 0 ? 0 : (double) acc.getHits() / decided)
                .setWastedCostUsd(CostAggregation.usd(acc.getWastedCostNanoUsd()))
                .setIsFinal(isFinal)
                .setEmittedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }
}
