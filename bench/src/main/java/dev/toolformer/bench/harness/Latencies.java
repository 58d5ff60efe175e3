package dev.toolformer.bench.harness;

import java.util.Arrays;

/** Every latency of one measurement, in nanoseconds, with exact percentiles. Thread-safe. */
final class Latencies {
    private long[] values = new long[1024];
    private int size;

    synchronized void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
    }

    synchronized int count() {
        return size;
    }

    /** The nearest-rank percentile in milliseconds (two decimals), or 0 when empty. */
    synchronized double percentileMs(double percentile) {
        if (size == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100 * size);
        return BenchReport.round2(sorted[Math.clamp(rank - 1, 0, size - 1)] / 1e6);
    }

    /** The mean in milliseconds (two decimals), or 0 when empty. */
    synchronized double meanMs() {
        if (size == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += values[i];
        }
        return BenchReport.round2(sum / size / 1e6);
    }
}
