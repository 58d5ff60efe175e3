package dev.toolformer.executor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The poll thread's view of the partitions it owns: which records arrived, which may start (all of
 * them, or in {@link ProcessingOrder#KEY} order one per key at a time), which are running, what is
 * committable, and which partitions to pause because their queue is too long. Records start only
 * while the executor has capacity, round-robin over partitions. Owned by the poll thread; not thread-safe.
 */
final class PartitionScheduler {

    /** Starts one record (on another thread); {@code epoch} comes back with its completion. */
    interface Starter {
        void start(ConsumerRecord<String, byte[]> record, long epoch);
    }

    private static final class PartitionState {
        final long epoch;
        final OffsetTracker offsets = new OffsetTracker();
        final ArrayDeque<ConsumerRecord<String, byte[]>> ready = new ArrayDeque<>();
        /** For KEY order: keys with a record ready or running, and the records waiting behind it. */
        final Map<String, ArrayDeque<ConsumerRecord<String, byte[]>>> busyKeys = new HashMap<>();
        int running;
        int blocked;
        boolean paused;

        PartitionState(long epoch) {
            this.epoch = epoch;
        }

        int queued() {
            return running + blocked + ready.size();
        }
    }

    private final ProcessingOrder order;
    private final int partitionLimit;
    private final Map<TopicPartition, PartitionState> partitions = new LinkedHashMap<>();
    private long epochs;

    PartitionScheduler(ProcessingOrder order, int partitionLimit) {
        this.order = order;
        this.partitionLimit = partitionLimit;
    }

    void received(ConsumerRecord<String, byte[]> record) {
        PartitionState state = partitions.computeIfAbsent(new TopicPartition(record.topic(), record.partition()),
                p -> new PartitionState(++epochs));
        state.offsets.started(record.offset());
        if (order == ProcessingOrder.KEY && record.key() != null) {
            ArrayDeque<ConsumerRecord<String, byte[]>> waiting = state.busyKeys.get(record.key());
            if (waiting != null) {
                waiting.add(record);
                state.blocked++;
                return;
            }
            state.busyKeys.put(record.key(), new ArrayDeque<>());
        }
        state.ready.add(record);
    }

    /** Whether a record may start now (in-flight records and bytes). */
    interface Admission {
        boolean admits(ConsumerRecord<String, byte[]> record);
    }

    /** Starts ready records, one partition after another, while {@code capacity} is positive. */
    int fill(IntSupplier capacity, Starter starter) {
        return fill(record -> capacity.getAsInt() > 0, starter);
    }

    /**
     * Starts ready records, one partition after another, while {@code admission} admits the next one; the
     * first record refused ends the round, so a large record is not overtaken for ever by small ones.
     */
    int fill(Admission admission, Starter starter) {
        int started = 0;
        boolean progress = true;
        while (progress) {
            progress = false;
            for (PartitionState state : partitions.values()) {
                ConsumerRecord<String, byte[]> next = state.ready.peek();
                if (next == null) {
                    continue;
                }
                if (!admission.admits(next)) {
                    return started;
                }
                ConsumerRecord<String, byte[]> record = state.ready.poll();
                if (record != null) {
                    state.running++;
                    starter.start(record, state.epoch);
                    started++;
                    progress = true;
                }
            }
        }
        return started;
    }

    /** A started record finished; ignored when its partition was revoked since (another epoch). */
    void completed(TopicPartition partition, long epoch, long offset, String key) {
        PartitionState state = partitions.get(partition);
        if (state == null || state.epoch != epoch) {
            return;
        }
        state.offsets.completed(offset);
        state.running--;
        if (order == ProcessingOrder.KEY && key != null) {
            ArrayDeque<ConsumerRecord<String, byte[]>> waiting = state.busyKeys.get(key);
            ConsumerRecord<String, byte[]> next = waiting == null ? null : waiting.poll();
            if (next == null) {
                state.busyKeys.remove(key);
            } else {
                state.blocked--;
                state.ready.add(next);
            }
        }
    }

    /**
     * Partitions whose pause state must change: paused when they hold records that cannot start
     * yet or when their started work reaches the limit, resumed once both have drained (to half the limit).
     */
    PauseChanges pauseChanges() {
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        partitions.forEach((partition, state) -> {
            boolean full = !state.ready.isEmpty() || state.running + state.blocked >= partitionLimit;
            boolean drained = state.ready.isEmpty() && state.running + state.blocked <= partitionLimit / 2;
            if (!state.paused && full) {
                state.paused = true;
                pause.add(partition);
            } else if (state.paused && drained) {
                state.paused = false;
                resume.add(partition);
            }
        });
        return new PauseChanges(pause, resume);
    }

    /** Partitions to pause and to resume. */
    record PauseChanges(List<TopicPartition> pause, List<TopicPartition> resume) {
    }

    /**
     * The offsets to commit: for each partition, the next record not yet completed, when that moved.
     *
     * @param force include offsets already committed (a final commit after asynchronous ones may have failed)
     */
    Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> which, boolean force) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : which) {
            PartitionState state = partitions.get(partition);
            long next = state == null ? -1 : force ? state.offsets.next() : state.offsets.committable();
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
                state.offsets.committed(next);
            }
        }
        return offsets;
    }

    /** The broker refused these commits: they are offered again by the next {@link #committable}. */
    void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionState state = partitions.get(partition);
            if (state != null) {
                state.offsets.commitFailed(offset.offset());
            }
        });
    }

    /** The broker confirmed these commits. */
    void acknowledged(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionState state = partitions.get(partition);
            if (state != null) {
                state.offsets.acknowledged(offset.offset());
            }
        });
    }

    /** Forgets records that have not started in these partitions (the next owner reads them again). */
    void dropWaiting(Collection<TopicPartition> which) {
        for (TopicPartition partition : which) {
            PartitionState state = partitions.get(partition);
            if (state != null) {
                state.ready.clear();
                state.busyKeys.clear();
                state.blocked = 0;
            }
        }
    }

    /** Forgets these partitions; completions of their running records are ignored from now on. */
    void remove(Collection<TopicPartition> which) {
        which.forEach(partitions::remove);
    }

    Collection<TopicPartition> partitions() {
        return List.copyOf(partitions.keySet());
    }

    /** Records started and not yet completed in these partitions. */
    int running(Collection<TopicPartition> which) {
        int total = 0;
        for (TopicPartition partition : which) {
            PartitionState state = partitions.get(partition);
            total += state == null ? 0 : state.running;
        }
        return total;
    }

    /** Records received and not yet completed, all partitions together. */
    int queued() {
        return partitions.values().stream().mapToInt(PartitionState::queued).sum();
    }

    int paused() {
        return (int) partitions.values().stream().filter(s -> s.paused).count();
    }

    /** Records received but not committed: what would run again if this instance died now. */
    long uncommitted() {
        return partitions.values().stream().mapToLong(s -> s.offsets.uncommitted()).sum();
    }
}
