package dev.toolformer.executor;

import java.util.TreeSet;

/**
 * The offsets of one partition that started but have not finished. The committable offset is the
 * lowest one still running (or one past the highest seen when none is), so a commit never covers a
 * record whose result is not yet written. Owned by the poll thread; not thread-safe.
 */
final class OffsetTracker {
    private final TreeSet<Long> running = new TreeSet<>();
    private long highestSeen = -1;
    private long lastCommitted = -1;

    void started(long offset) {
        running.add(offset);
        highestSeen = Math.max(highestSeen, offset);
    }

    void completed(long offset) {
        running.remove(offset);
    }

    int running() {
        return running.size();
    }

    /** The offset to commit (the next record to read), or -1 when nothing new can be committed. */
    long committable() {
        long next = running.isEmpty() ? highestSeen + 1 : running.first();
        return next > lastCommitted && highestSeen >= 0 ? next : -1;
    }

    void committed(long offset) {
        lastCommitted = Math.max(lastCommitted, offset);
    }
}
