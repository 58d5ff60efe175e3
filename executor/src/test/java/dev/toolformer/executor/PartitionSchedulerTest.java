package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionSchedulerTest {
    private static final TopicPartition P0 = new TopicPartition("toolformer.requests", 0);
    private static final TopicPartition P1 = new TopicPartition("toolformer.requests", 1);

    private final List<ConsumerRecord<String, byte[]>> started = new ArrayList<>();
    private final List<Long> epochs = new ArrayList<>();

    private static ConsumerRecord<String, byte[]> record(TopicPartition partition, long offset, String key) {
        return new ConsumerRecord<>(partition.topic(), partition.partition(), offset, key, new byte[0]);
    }

    private int fill(PartitionScheduler scheduler, int capacity) {
        AtomicInteger left = new AtomicInteger(capacity);
        return scheduler.fill(left::get, (record, epoch) -> {
            left.decrementAndGet();
            started.add(record);
            epochs.add(epoch);
        });
    }

    private void complete(PartitionScheduler scheduler, ConsumerRecord<String, byte[]> record) {
        int i = started.indexOf(record);
        scheduler.completed(new TopicPartition(record.topic(), record.partition()), epochs.get(i), record.offset(),
                record.key());
    }

    @Test
    void shouldStartNoMoreThanCapacityRoundRobinOverPartitions() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        for (long offset = 0; offset < 5; offset++) {
            scheduler.received(record(P0, offset, "a" + offset));
            scheduler.received(record(P1, offset, "b" + offset));
        }

        assertThat(fill(scheduler, 4)).isEqualTo(4);

        assertThat(started).extracting(ConsumerRecord::partition).containsExactly(0, 1, 0, 1);
        assertThat(scheduler.queued()).isEqualTo(10);
    }

    @Test
    void shouldRunSameKeyOneAfterAnotherInKeyOrder() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.KEY, 100);
        ConsumerRecord<String, byte[]> first = record(P0, 0, "k");
        ConsumerRecord<String, byte[]> other = record(P0, 1, "other");
        ConsumerRecord<String, byte[]> second = record(P0, 2, "k");
        scheduler.received(first);
        scheduler.received(other);
        scheduler.received(second);

        assertThat(fill(scheduler, 10)).isEqualTo(2);
        assertThat(started).containsExactly(first, other);

        complete(scheduler, first);
        assertThat(fill(scheduler, 10)).isEqualTo(1);
        assertThat(started).containsExactly(first, other, second);
    }

    @Test
    void shouldRunSameKeyConcurrentlyWhenUnordered() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        scheduler.received(record(P0, 0, "k"));
        scheduler.received(record(P0, 1, "k"));

        assertThat(fill(scheduler, 10)).isEqualTo(2);
    }

    @Test
    void shouldPauseOnlyPartitionWhoseStartedWorkReachesLimitAndResumeWhenHalfDrained() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 4);
        for (long offset = 0; offset < 4; offset++) {
            scheduler.received(record(P0, offset, null));
        }
        scheduler.received(record(P1, 0, null));
        fill(scheduler, 100);

        PartitionScheduler.PauseChanges changes = scheduler.pauseChanges();
        assertThat(changes.pause()).containsExactly(P0);
        assertThat(changes.resume()).isEmpty();
        assertThat(scheduler.paused()).isEqualTo(1);

        complete(scheduler, started.get(0));
        assertThat(scheduler.pauseChanges().resume()).isEmpty();
        complete(scheduler, started.get(2));
        assertThat(scheduler.pauseChanges().resume()).containsExactly(P0);
        assertThat(scheduler.paused()).isZero();
    }

    @Test
    void shouldPausePartitionHoldingRecordsThatCannotStartForLackOfCapacity() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        scheduler.received(record(P0, 0, null));
        scheduler.received(record(P0, 1, null));
        fill(scheduler, 1);

        assertThat(scheduler.pauseChanges().pause()).containsExactly(P0);

        complete(scheduler, started.get(0));
        fill(scheduler, 1);
        assertThat(scheduler.pauseChanges().resume()).containsExactly(P0);
    }

    @Test
    void shouldCommitContiguousCompletedWorkOnly() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        for (long offset = 0; offset < 3; offset++) {
            scheduler.received(record(P0, offset, null));
        }
        fill(scheduler, 10);
        complete(scheduler, started.get(1));

        assertThat(scheduler.committable(List.of(P0), false)).isEqualTo(Map.of(P0, new OffsetAndMetadata(0)));

        complete(scheduler, started.get(0));
        assertThat(scheduler.committable(List.of(P0), false)).isEqualTo(Map.of(P0, new OffsetAndMetadata(2)));
        assertThat(scheduler.committable(List.of(P0), false)).isEmpty();
        assertThat(scheduler.committable(List.of(P0), true)).isEqualTo(Map.of(P0, new OffsetAndMetadata(2)));
    }

    @Test
    void shouldNotCommitPastDroppedRecordsThatNeverStarted() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        for (long offset = 0; offset < 3; offset++) {
            scheduler.received(record(P0, offset, null));
        }
        fill(scheduler, 1);
        complete(scheduler, started.get(0));
        scheduler.dropWaiting(List.of(P0));

        assertThat(scheduler.committable(List.of(P0), true)).isEqualTo(Map.of(P0, new OffsetAndMetadata(1)));
        assertThat(fill(scheduler, 10)).isZero();
    }

    @Test
    void shouldIgnoreCompletionFromBeforePartitionWasRemovedAndReassigned() {
        PartitionScheduler scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, 100);
        ConsumerRecord<String, byte[]> old = record(P0, 0, null);
        scheduler.received(old);
        fill(scheduler, 1);
        long oldEpoch = epochs.get(0);
        scheduler.remove(List.of(P0));

        scheduler.received(record(P0, 0, null));
        fill(scheduler, 1);
        scheduler.completed(P0, oldEpoch, 0, null);

        assertThat(scheduler.running(List.of(P0))).isEqualTo(1);
        assertThat(scheduler.committable(List.of(P0), true)).isEqualTo(Map.of(P0, new OffsetAndMetadata(0)));
    }
}
