package dev.toolformer.executor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The executor's offset tracking, which the poll thread does for every record: {@link OffsetTracker}
 * alone with completions in random order, and the whole {@link PartitionScheduler} path under real
 * concurrency — a poll batch started on virtual threads that finish in whatever order they finish,
 * their completions handed back through a concurrent queue, applied and committed by one thread, as
 * {@code RequestLoop} does. {@code slow} records started earlier and still running (a slow tool at
 * the head of a partition) keep the running set large and the commit point stuck behind them.
 * Scores are per record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OffsetTrackingBenchmark {
    /** Records per poll: the executor's max.poll.records. */
    static final int BATCH = 500;
    static final int PARTITIONS = 6;

    @Param({"0", "10000"})
    int slow;

    private final SplittableRandom random = new SplittableRandom(7);
    private final long[] order = new long[BATCH];
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Queue<RequestHandler.Completion> completions = new ConcurrentLinkedQueue<>();
    private ExecutorService workers;
    private OffsetTracker tracker;
    private PartitionScheduler scheduler;
    private long nextOffset;

    @Setup(Level.Iteration)
    public void setUp() {
        workers = Executors.newVirtualThreadPerTaskExecutor();
        tracker = new OffsetTracker();
        scheduler = new PartitionScheduler(ProcessingOrder.UNORDERED, Integer.MAX_VALUE);
        partitions.clear();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition("toolformer.requests", p));
        }
        // The slow records: started, never completed during the iteration.
        for (long offset = 0; offset < slow; offset++) {
            tracker.started(offset);
            scheduler.received(record((int) (offset % PARTITIONS), offset));
        }
        scheduler.fill(() -> Integer.MAX_VALUE, (record, epoch) -> { });
        nextOffset = slow;
    }

    @TearDown(Level.Iteration)
    public void tearDown() {
        workers.shutdownNow();
    }

    /** One batch into the tracker, completed in random order, with a commit check every 50 completions. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackerRandomOrder() {
        long first = nextOffset;
        for (int i = 0; i < BATCH; i++) {
            tracker.started(first + i);
            order[i] = first + i;
        }
        for (int i = BATCH - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long committable = -1;
        for (int i = 0; i < BATCH; i++) {
            tracker.completed(order[i]);
            if (i % 50 == 49) {
                committable = Math.max(committable, tracker.committable());
                tracker.committed(committable);
            }
        }
        nextOffset += BATCH;
        return committable;
    }

    /**
     * One poll batch spread over the partitions, each record started on a virtual thread that completes
     * it; the calling thread applies completions as they come and commits what is contiguous.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int schedulerWithVirtualThreads() {
        for (int i = 0; i < BATCH; i++) {
            long offset = nextOffset++;
            scheduler.received(record((int) (offset % PARTITIONS), offset));
        }
        scheduler.fill(() -> Integer.MAX_VALUE, (record, epoch) -> workers.execute(() -> completions.add(
                new RequestHandler.Completion(new TopicPartition(record.topic(), record.partition()), epoch,
                        record.offset(), record.key()))));
        int applied = 0;
        int committed = 0;
        while (applied < BATCH) {
            RequestHandler.Completion c = completions.poll();
            if (c == null) {
                LockSupport.parkNanos(1_000);
                continue;
            }
            scheduler.completed(c.partition(), c.epoch(), c.offset(), c.key());
            if (++applied % 50 == 0) {
                Map<TopicPartition, OffsetAndMetadata> offsets = scheduler.committable(partitions, false);
                scheduler.acknowledged(offsets);
                committed += offsets.size();
            }
        }
        return committed;
    }

    private static ConsumerRecord<String, byte[]> record(int partition, long offset) {
        return new ConsumerRecord<>("toolformer.requests", partition, offset, "k" + offset, null);
    }
}
