package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.List;

/**
 * How much each scenario does; immutable, every value checked. Messages name the command-line option.
 *
 * @param partitions         partitions of the topics a run creates
 * @param replicationFactor  replication factor of the topics a run creates
 * @param records            records (relay) and requests (pipeline) measured at full speed
 * @param warmup             records or requests sent before each full-speed measurement
 * @param ratePerSecond      the fixed offered rate of the latency measurements
 * @param latencyDuration    how long each fixed-rate latency measurement sends
 * @param concurrentRequests requests submitted at once in the concurrency scenario
 * @param toolLatency        how long the concurrency scenario's simulated tool sleeps
 * @param instances          executor instance counts of the scale scenario
 * @param scaleRecords       requests measured at full speed per instance count
 * @param scaleDuration      how long each instance count's fixed-rate latency measurement sends
 * @param drainTimeout       the longest wait for the last results after the last send
 * @param pairs              interleaved relay/pipeline (and relay/latency) measurements, and concurrency bursts,
 *                           whose median is reported
 * @param executorHeap       the {@code -Xmx} of the concurrency scenario's executor JVM ({@code 512m}, {@code 2g}...)
 */
public record BenchSettings(int partitions, short replicationFactor, long records, long warmup, double ratePerSecond,
                     Duration latencyDuration, int concurrentRequests, Duration toolLatency, List<Integer> instances,
                     long scaleRecords, Duration scaleDuration, Duration drainTimeout, int pairs,
                     String executorHeap) {

    public BenchSettings {
        atLeast("--partitions", partitions, 1);
        atLeast("--replication-factor", replicationFactor, 1);
        atLeast("--records", records, 1);
        atLeast("--warmup", warmup, 0);
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("--rate must be a positive number of requests/s, was " + ratePerSecond);
        }
        positive("--latency-duration", latencyDuration);
        atLeast("--concurrent-requests", concurrentRequests, 1);
        positive("--tool-latency", toolLatency);
        instances = List.copyOf(instances);
        if (instances.isEmpty() || instances.stream().anyMatch(n -> n < 1 || n > 64)
                || instances.stream().distinct().count() < instances.size()) {
            throw new IllegalArgumentException("--instances must be distinct counts from 1 to 64, was " + instances);
        }
        atLeast("--scale-records", scaleRecords, 1);
        positive("--scale-duration", scaleDuration);
        positive("--drain-timeout", drainTimeout);
        atLeast("--pairs", pairs, 1);
        if (executorHeap == null || !executorHeap.matches("[1-9][0-9]*[mMgG]")) {
            throw new IllegalArgumentException("--executor-heap must be a heap size such as 512m or 2g, was "
                    + executorHeap);
        }
    }

    /** {@link #executorHeap()} in MB. */
    public double executorHeapMb() {
        double amount = Double.parseDouble(executorHeap.substring(0, executorHeap.length() - 1));
        return Character.toLowerCase(executorHeap.charAt(executorHeap.length() - 1)) == 'g' ? amount * 1024 : amount;
    }

    private static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", was " + value);
        }
    }

    private static void positive(String option, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(option + " must be > 0, was " + value);
        }
    }
}
