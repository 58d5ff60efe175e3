package dev.toolformer.executor;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;

/**
 * The registry of the requests running in this instance and of the partitions it owns: through it a request is
 * cancelled (a CANCEL command, a negative speculation outcome; remembered when the request has not been read
 * yet) or abandoned (its partition was revoked or lost: it finishes without publishing). Thread-safe.
 */
final class Executions {
    /** Cancellations remembered for requests not read yet. */
    private static final int REMEMBERED_CANCELLATIONS = 100_000;

    private final Map<String, Execution> running = new ConcurrentHashMap<>();
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    private final Map<String, String> cancelled = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_CANCELLATIONS;
        }
    };

    void own(Collection<TopicPartition> partitions) {
        owned.addAll(partitions);
    }

    boolean owns(TopicPartition partition) {
        return owned.contains(partition);
    }

    /**
     * Registers the execution of {@code requestId} read from {@code partition}, already abandoned if the partition
     * is no longer owned and already cancelled if a cancellation came first. Registered first, then checked: a
     * concurrent {@link #abandon} or {@link #cancel} sees it or is seen.
     */
    Execution begin(String requestId, TopicPartition partition) {
        Execution execution = new Execution(requestId, partition);
        running.put(requestId, execution);
        if (!owned.contains(partition)) {
            execution.abandon();
        }
        String reason;
        synchronized (cancelled) {
            reason = cancelled.remove(requestId);
        }
        if (reason != null) {
            execution.cancel(reason);
        }
        return execution;
    }

    /** Forgets a finished execution. */
    void end(Execution execution) {
        running.remove(execution.requestId(), execution);
    }

    /**
     * Cancels the request if it is running; otherwise remembers it, so that it finishes CANCELLED
     * without running should it be read later.
     *
     * @return true when a running request was cancelled
     */
    boolean cancel(String requestId, String reason) {
        Execution execution = running.get(requestId);
        if (execution != null && execution.cancel(reason)) {
            return true;
        }
        synchronized (cancelled) {
            cancelled.put(requestId, reason);
        }
        return false;
    }

    /** Abandons the running requests of these partitions, which are no longer owned; how many were abandoned. */
    int abandon(Collection<TopicPartition> partitions) {
        owned.removeAll(partitions);
        int abandoned = 0;
        for (Execution execution : running.values()) {
            if (partitions.contains(execution.partition()) && execution.abandon()) {
                abandoned++;
            }
        }
        return abandoned;
    }
}
