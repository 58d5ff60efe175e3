package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.schema.ToolResult;

/**
 * Folds results into a window's {@link SloAccumulator}. Every result, whatever its status, adds one
 * latency ({@code finished_at - submitted_at}) and one execution time ({@code finished_at - started_at})
 * in ms; a negative difference (clock skew between hosts) counts as 0.
 *
 * <p>What the SLOs count: REJECTED (the client's own mistake) and CANCELLED results are not eligible.
 * Of the eligible ones, ERROR and UNAVAILABLE (a call we could not serve: breaker open, throttled) are
 * bad events of availability, and with TIMEOUT they are the failures of the error rate. A served result
 * at or above the latency SLO's threshold is slow; slow and UNAVAILABLE results are the bad events of
 * the latency SLO.
 */
final class SloAggregation {
    private SloAggregation() {
    }

    static SloAccumulator empty() {
        return SloAccumulator.newBuilder()
                .setLatencySketch(Sketches.encode(Sketches.empty()))
                .setExecutionSketch(Sketches.encode(Sketches.empty()))
                .build();
    }

    static SloAccumulator add(ToolResult result, SloAccumulator acc, long latencyThresholdMs) {
        long latencyMs = millisBetween(result.getSubmittedAt(), result.getFinishedAt());
        long executionMs = millisBetween(result.getStartedAt(), result.getFinishedAt());
        // Appended to, not decoded (see Sketches.append); compacted every COMPACT_EVERY results of the window.
        boolean compact = (requests(acc) + 1) % Sketches.COMPACT_EVERY == 0;
        SloAccumulator.Builder next = SloAccumulator.newBuilder(acc)
                .setLatencySketch(Sketches.append(acc.getLatencySketch(), latencyMs, compact))
                .setExecutionSketch(Sketches.append(acc.getExecutionSketch(), executionMs, compact))
                .setLatencyMaxMs(Math.max(acc.getLatencyMaxMs(), latencyMs))
                .setExecutionMaxMs(Math.max(acc.getExecutionMaxMs(), executionMs))
                .setLatencySlow(acc.getLatencySlow() + (served(result) && latencyMs >= latencyThresholdMs ? 1 : 0));
        switch (result.getStatus()) {
            case SUCCESS -> next.setSuccess(acc.getSuccess() + 1);
            case ERROR -> next.setErrors(acc.getErrors() + 1);
            case TIMEOUT -> next.setTimeouts(acc.getTimeouts() + 1);
            case CANCELLED -> next.setCancelled(acc.getCancelled() + 1);
            case REJECTED -> next.setRejected(acc.getRejected() + 1);
            case UNAVAILABLE -> next.setUnavailable(acc.getUnavailable() + 1);
        }
        return next.build();
    }

    /** Every result of the window. */
    static long requests(SloAccumulator acc) {
        return acc.getSuccess() + acc.getErrors() + acc.getTimeouts() + acc.getCancelled() + acc.getRejected()
                + acc.getUnavailable();
    }

    /** The results the SLOs judge: all but REJECTED and CANCELLED. */
    static long eligible(SloAccumulator acc) {
        return acc.getSuccess() + acc.getErrors() + acc.getTimeouts() + acc.getUnavailable();
    }

    /** Bad events of the availability SLO: ERROR and UNAVAILABLE. */
    static long unavailable(SloAccumulator acc) {
        return acc.getErrors() + acc.getUnavailable();
    }

    /** The failures of the error rate: ERROR, TIMEOUT and UNAVAILABLE. */
    static long failed(SloAccumulator acc) {
        return acc.getErrors() + acc.getTimeouts() + acc.getUnavailable();
    }

    /** Bad events of the latency SLO: served too slowly, or not served at all. */
    static long latencyBad(SloAccumulator acc) {
        return acc.getLatencySlow() + acc.getUnavailable();
    }

    private static boolean served(ToolResult result) {
        return switch (result.getStatus()) {
            case SUCCESS, ERROR, TIMEOUT -> true;
            case CANCELLED, REJECTED, UNAVAILABLE -> false;
        };
    }

    private static long millisBetween(Instant from, Instant to) {
        return Math.max(0, to.toEpochMilli() - from.toEpochMilli());
    }
}
