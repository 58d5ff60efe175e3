package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One measured stretch of records (relay) or requests (pipeline): when the first was sent, how many
 * arrived at the far end and when the last did, and their latencies. Thread-safe.
 */
final class Phase {
    private final AtomicLong received = new AtomicLong();
    private final Latencies latencies = new Latencies();
    private final long firstSentNanos = System.nanoTime();
    private volatile long lastReceivedNanos;

    /** One record or result arrived, {@code latencyNanos} after it was sent. */
    void received(long latencyNanos) {
        latencies.add(latencyNanos);
        lastReceivedNanos = System.nanoTime();
        received.incrementAndGet();
    }

    long received() {
        return received.get();
    }

    Latencies latencies() {
        return latencies;
    }

    /** Waits until {@code expected} have arrived; false if {@code timeout} passed first. */
    boolean await(long expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.get() < expected) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** From the first send to the last arrival. */
    double elapsedSeconds() {
        return Math.max(lastReceivedNanos - firstSentNanos, 1) / 1e9;
    }

    /** Arrivals per second, from the first send to the last arrival. */
    double throughputPerSecond() {
        return received.get() / elapsedSeconds();
    }

    /** Parks until the {@code index}-th send is due at {@code ratePerSecond} (no pause for an unbounded rate). */
    void pace(long index, double ratePerSecond) {
        if (Double.isInfinite(ratePerSecond)) {
            return;
        }
        long due = firstSentNanos + (long) (index * 1e9 / ratePerSecond);
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }
}
