package dev.toolformer.executor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The executor's admission control: at most {@code max-in-flight} requests running, holding at most
 * {@code max-in-flight-bytes} of their records (one record larger than that still runs, alone); THROTTLE lowers
 * the count limit for a while. The poll thread asks {@link #admits} and {@link #acquire}s; workers
 * {@link #release}. Thread-safe.
 */
final class InFlightLimit {
    private final ExecutorConfig config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong inFlightBytes = new AtomicLong();
    private final AtomicLong peakInFlightBytes = new AtomicLong();
    private final AtomicInteger maxInFlight;

    InFlightLimit(ExecutorConfig config) {
        this.config = config;
        this.maxInFlight = new AtomicInteger(config.maxInFlight());
    }

    /** How many more records may start now. */
    int capacity() {
        return maxInFlight.get() - inFlight.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Bytes of the records started and not finished (key and value as read). */
    long inFlightBytes() {
        return inFlightBytes.get();
    }

    /** The most {@link #inFlightBytes()} has been. */
    long peakInFlightBytes() {
        return peakInFlightBytes.get();
    }

    /**
     * Whether {@code record} may start now: below {@code max-in-flight}, and its bytes fit under
     * {@code max-in-flight-bytes} — or nothing else is running, so one record larger than the whole
     * budget still runs, alone.
     */
    boolean admits(ConsumerRecord<String, byte[]> record) {
        if (capacity() <= 0) {
            return false;
        }
        long held = inFlightBytes.get();
        return held == 0 || held + weight(record) <= config.maxInFlightBytes();
    }

    /** The bytes {@code record} holds while it runs: its key and value as read. */
    static int weight(ConsumerRecord<String, byte[]> record) {
        return Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    /** Sets the in-flight limit (THROTTLE); running requests above it finish normally. */
    void limitInFlight(int limit) {
        maxInFlight.set(Math.max(1, Math.min(limit, config.maxInFlight())));
    }

    /** Counts a started record of {@code weight} bytes; the number now in flight. */
    int acquire(int weight) {
        peakInFlightBytes.accumulateAndGet(inFlightBytes.addAndGet(weight), Math::max);
        return inFlight.incrementAndGet();
    }

    /** Frees the slot and bytes of a finished record. */
    void release(int weight) {
        inFlight.decrementAndGet();
        inFlightBytes.addAndGet(-weight);
    }
}
