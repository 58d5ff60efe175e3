package dev.toolformer.analytics;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

import dev.toolformer.common.kafka.KafkaAccessException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do when a stream thread dies: replace it, as most failures are transient (a broker
 * restart, a timeout). Shut this client down instead when the JVM is in trouble (an {@link Error}
 * anywhere in the cause chain), when the cluster refuses the client (authentication or a missing ACL,
 * which no new thread fixes) or when threads keep dying, more than {@code maxReplacements} times
 * within {@code period}: a failure that repeats on the same record would otherwise loop forever.
 * Other instances take over the partitions of a client that shuts down.
 */
final class ThreadReplacementPolicy implements StreamsUncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ThreadReplacementPolicy.class);

    private final int maxReplacements;
    private final long periodNanos;
    private final LongSupplier nanoClock;
    private final Deque<Long> replacements = new ArrayDeque<>();

    ThreadReplacementPolicy(int maxReplacements, Duration period, LongSupplier nanoClock) {
        this.maxReplacements = maxReplacements;
        this.periodNanos = period.toNanos();
        this.nanoClock = nanoClock;
    }

    /** At most 5 replacements within 10 minutes. */
    static ThreadReplacementPolicy standard() {
        return new ThreadReplacementPolicy(5, Duration.ofMinutes(10), System::nanoTime);
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        if (hasError(exception)) {
            log.error("Stream thread died of a JVM error; shutting down this analytics client", exception);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        if (KafkaAccessException.isAccessError(exception)) {
            log.error("The cluster refused this analytics client (credentials or ACLs); shutting it down", exception);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = nanoClock.getAsLong();
        while (!replacements.isEmpty() && now - replacements.peekFirst() > periodNanos) {
            replacements.removeFirst();
        }
        if (replacements.size() >= maxReplacements) {
            log.error("Stream thread died again after {} replacements within {}; shutting down this analytics client",
                    replacements.size(), Duration.ofNanos(periodNanos), exception);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacements.addLast(now);
        log.warn("Stream thread died; replacing it", exception);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    private static boolean hasError(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Error) {
                return true;
            }
        }
        return false;
    }
}
