package dev.toolformer.executor;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import dev.toolformer.common.topic.Topics;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll thread of {@code toolformer.requests}: reads records, starts them as capacity allows,
 * applies completions, commits contiguous completed work, pauses and resumes partitions, and
 * handles rebalances. The only thread that touches the consumer and the {@link PartitionScheduler}.
 */
final class RequestLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RequestLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration COMMIT_INTERVAL = Duration.ofMillis(500);

    private final ExecutorConfig config;
    private final Consumer<String, byte[]> consumer;
    private final RequestHandler handler;
    private final java.util.function.Consumer<KafkaException> onFailure; // name clash: Kafka's Consumer
    private final PartitionScheduler scheduler;
    private volatile boolean running = true;
    private volatile boolean crashed;
    private volatile boolean joined;
    private volatile Duration shutdownDrain = Duration.ofSeconds(10);
    private volatile int pausedPartitions;
    private volatile int queued;
    private volatile long lag;
    private volatile long uncommittedAtCrash = -1;
    /** System.nanoTime() when the loop last came round (a poll returned and its step ran); 0 before it started. */
    private volatile long lastProgressNanos;
    private volatile CountDownLatch stallForTest;
    private long lastCommit;

    /** {@code onFailure} hears of the error that ends the loop early, e.g. a missing ACL. */
    RequestLoop(ExecutorConfig config, Consumer<String, byte[]> consumer, RequestHandler handler,
                java.util.function.Consumer<KafkaException> onFailure) { // name clash: Kafka's Consumer
        this.config = config;
        this.consumer = consumer;
        this.handler = handler;
        this.onFailure = onFailure;
        this.scheduler = new PartitionScheduler(config.processingOrder(), config.partitionQueueLimit());
    }

    boolean joined() {
        return joined && running;
    }

    int pausedPartitions() {
        return pausedPartitions;
    }

    int queued() {
        return queued;
    }

    long lag() {
        return lag;
    }

    /** Ends the loop: in-flight work gets up to {@code drain} to finish, then completed work is committed. */
    void stop(Duration drain) {
        shutdownDrain = drain;
        running = false;
        consumer.wakeup();
    }

    /** Ends the loop as a crash would: nothing more is committed or published. */
    void crash() {
        crashed = true;
        handler.stopPublishing();
        running = false;
        consumer.wakeup();
    }

    /** After {@link #crash()}: records read and not covered by a confirmed commit, the most that can run twice. */
    long uncommittedAtCrash() {
        return uncommittedAtCrash;
    }

    /** Closes the consumer of a loop that never ran. */
    void closeUnstarted() {
        consumer.close();
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(Topics.REQUESTS.name()), new Rebalance());
            while (running) {
                pollOnce();
            }
            if (crashed) {
                uncommittedAtCrash = scheduler.uncommitted();
            } else {
                drainAndCommit(shutdownDrain);
            }
        } catch (KafkaException e) {
            log.error("Executor {} stopped on a Kafka error: {}", config.executorId(), e.toString(), e);
            onFailure.accept(e);
        } finally {
            running = false;
            // Whatever still runs is the next owner's now; closing must not wait for it again.
            Collection<TopicPartition> partitions = scheduler.partitions();
            handler.abandon(partitions);
            scheduler.remove(partitions);
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            } catch (RuntimeException e) {
                log.warn("Closing the consumer failed: {}", e.toString());
            }
        }
    }

    /**
     * How long since the loop last came round, while it should be coming round (started and not stopping);
     * empty otherwise. A loop stuck in a call that does not return (a hung rebalance listener, a deadlock) grows it.
     */
    Optional<Duration> sinceProgress() {
        long last = lastProgressNanos;
        if (last == 0 || !running) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(System.nanoTime() - last));
    }

    /** Test hook: the loop blocks at its next round until {@code release} opens, as a hung call would. */
    void stallForTest(CountDownLatch release) {
        stallForTest = release;
    }

    private void pollOnce() {
        lastProgressNanos = System.nanoTime();
        CountDownLatch stall = stallForTest;
        if (stall != null) {
            try {
                stall.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stallForTest = null;
        }
        try {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                scheduler.received(record);
            }
            step();
        } catch (WakeupException e) {
            // stop() or crash(): the loop condition ends it
        } catch (AuthenticationException | AuthorizationException | UnsupportedVersionException
                 | InvalidGroupIdException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("Executor {} poll failed, continuing: {}", config.executorId(), e.toString());
        }
    }

    private void step() {
        applyCompletions();
        scheduler.fill(handler.limit()::admits, handler::start);
        long now = System.currentTimeMillis();
        if (now - lastCommit >= COMMIT_INTERVAL.toMillis()) {
            lastCommit = now;
            commitAsync();
            updateLag();
        }
        PartitionScheduler.PauseChanges changes = scheduler.pauseChanges();
        Set<TopicPartition> assigned = consumer.assignment();
        List<TopicPartition> pause = changes.pause().stream().filter(assigned::contains).toList();
        List<TopicPartition> resume = changes.resume().stream().filter(assigned::contains).toList();
        if (!pause.isEmpty()) {
            consumer.pause(pause);
        }
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
        pausedPartitions = scheduler.paused();
        queued = scheduler.queued();
    }

    private void applyCompletions() {
        for (RequestHandler.Completion c; (c = handler.completions().poll()) != null; ) {
            scheduler.completed(c.partition(), c.epoch(), c.offset(), c.key());
        }
    }

    private void commitAsync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = scheduler.committable(scheduler.partitions(), false);
        if (!offsets.isEmpty()) {
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error == null) {
                    scheduler.acknowledged(committed);
                    return;
                }
                // Offered again at the next commit interval, even if no more work completes meanwhile.
                scheduler.commitFailed(committed);
                if (error instanceof RebalanceInProgressException) {
                    log.debug("Commit of {} deferred by a rebalance", committed);
                } else {
                    log.warn("Commit of {} failed, retrying at the next commit interval: {}", committed, error.toString());
                }
            });
        }
    }

    private void commitSync(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = scheduler.committable(partitions, true);
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            scheduler.acknowledged(offsets);
        } catch (KafkaException e) {
            log.warn("Commit of {} failed: {}", offsets, e.toString());
        }
    }

    /** Lets running work of {@code partitions} finish for up to {@code timeout}; records not started are dropped. */
    private void drain(Collection<TopicPartition> partitions, Duration timeout) {
        scheduler.dropWaiting(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (scheduler.running(partitions) > 0 && System.nanoTime() < deadline) {
            applyCompletions();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        applyCompletions();
    }

    private void drainAndCommit(Duration timeout) {
        Collection<TopicPartition> partitions = scheduler.partitions();
        drain(partitions, timeout);
        commitSync(partitions);
        int left = scheduler.running(partitions);
        if (left > 0) {
            log.warn("Executor {} stopped with {} requests in flight; they will run again on the next owner",
                    config.executorId(), left);
        }
        handler.stopPublishing();
    }

    private void updateLag() {
        long total = 0;
        for (TopicPartition partition : consumer.assignment()) {
            total += consumer.currentLag(partition).orElse(0);
        }
        lag = total;
    }

    /**
     * Revoked partitions: running work gets {@code revocation-drain} to finish, completed work is
     * committed, the rest is abandoned to the next owner. Lost partitions: abandoned, nothing committed
     * (another instance may own them already).
     */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (crashed || partitions.isEmpty()) {
                return;
            }
            drain(partitions, config.revocationDrain());
            commitSync(partitions);
            int abandoned = handler.abandon(partitions);
            scheduler.remove(partitions);
            log.info("Executor {} gave up partitions {} ({} requests abandoned to the next owner)",
                    config.executorId(), partitions, abandoned);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            handler.own(partitions);
            joined = true;
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            int abandoned = handler.abandon(partitions);
            scheduler.remove(partitions);
            log.warn("Executor {} lost partitions {} ({} requests abandoned, nothing committed)",
                    config.executorId(), partitions, abandoned);
        }
    }
}
