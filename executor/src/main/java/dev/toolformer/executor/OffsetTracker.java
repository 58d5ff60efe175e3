package dev.toolformer.executor;

import java.util.TreeSet;

/**
 * The offsets of one partition that arrived but have not finished. The committable offset is the
 * lowest one not finished (or one past the highest seen when none is), so a commit never covers a
 * record whose result is not yet written. Owned by the poll thread; not thread-safe.
 */
final class OffsetTracker {
    private final TreeSet<Long> running = new TreeSet<>();
    private long firstSeen = Long.MAX_VALUE;
    private long highestSeen = -1;
    private long lastCommitted = -1;
    private long lastAcknowledged = -1;

    void started(long offset) {
        running.add(offset);
        firstSeen = Math.min(firstSeen, offset);
        highestSeen = Math.max(highestSeen, offset);
    }

    void completed(long offset) {
        running.remove(offset);
    }

    /** Offsets started and not completed. */
    int running() {
        return running.size();
    }

    /** The next record to read after the contiguous completed prefix, or -1 when nothing was seen. */
    long next() {
        if (highestSeen < 0) {
            return -1;
        }
        return running.isEmpty() ? highestSeen + 1 : running.first();
    }

    /** The offset to commit (the next record to read), or -1 when nothing new can be committed. */
    long committable() {
        long next = next();
        return next > lastCommitted ? next : -1;
    }

    void committed(long offset) {
        lastCommitted = Math.max(lastCommitted, offset);
    }

    /**
     * The broker refused the commit of {@code offset} (a rebalance, a timeout): unless a later commit is on its
     * way, the next {@link #committable()} offers the offset again, so an idle partition does not stay
     * uncommitted.
     */
    void commitFailed(long offset) {
        if (offset >= lastCommitted) {
            lastCommitted = lastAcknowledged;
        }
    }

    /** The broker confirmed a commit of {@code offset}. */
    void acknowledged(long offset) {
        lastAcknowledged = Math.max(lastAcknowledged, offset);
    }

    /** Records seen here and not covered by a confirmed commit: those that run again if this instance dies now. */
    long uncommitted() {
        return highestSeen < 0 ? 0 : highestSeen + 1 - Math.max(lastAcknowledged, firstSeen);
    }
}
