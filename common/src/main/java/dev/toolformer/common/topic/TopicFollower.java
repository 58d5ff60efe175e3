package dev.toolformer.common.topic;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unbounded read of topics, the follow-mode sibling of {@link TopicScan}: every partition assigned (no
 * consumer group, nothing committed), from the beginning, the end, or the first record at or after a time, then
 * every new record as it comes, handed to a callback on the follower's own thread. What live views use: the
 * alert processor's views of silences and firing alerts, the dashboard's feed, the demo's summary.
 *
 * <pre>{@code
 * TopicFollower follower = TopicFollower.of(kafka, List.of(Topics.ALERTS.name()), "alerts-view")
 *         .fromBeginning().start(record -> ...);
 * follower.awaitCaughtUp(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Supervised: a topic that does not exist yet, or an error a retry can fix (the broker away, a timeout), is
 * logged and retried with backoff; an access error, or an exception of the callback, ends the follower and is
 * reported by {@link #failure()}.
 */
public final class TopicFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Consumer<String, byte[]> consumer;
    private final List<String> topics;
    private final String name;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private Optional<Instant> since = Optional.of(Instant.EPOCH);
    private Thread thread;
    private volatile boolean running = true;

    private TopicFollower(Consumer<String, byte[]> consumer, List<String> topics, String name) {
        this.consumer = Objects.requireNonNull(consumer, "consumer == null");
        this.topics = List.copyOf(topics);
        this.name = Objects.requireNonNull(name, "name == null");
    }

    /** A follower of {@code topics} with a consumer of its own; {@code name} names its thread and its log lines. */
    public static TopicFollower of(KafkaSettings kafka, List<String> topics, String name) {
        return of(new KafkaConsumer<>(kafka.consumer(null, "toolformer-" + name + "-" + UUID.randomUUID())), topics,
                name);
    }

    /** A follower reading with {@code consumer}, which it owns and closes (tests pass a mock consumer). */
    public static TopicFollower of(Consumer<String, byte[]> consumer, List<String> topics, String name) {
        return new TopicFollower(consumer, topics, name);
    }

    /** Starts at the first record of each partition (the default). */
    public TopicFollower fromBeginning() {
        this.since = Optional.of(Instant.EPOCH);
        return this;
    }

    /** Starts at the first record whose timestamp is at or after {@code from}. */
    public TopicFollower since(Instant from) {
        this.since = Optional.of(Objects.requireNonNull(from, "from == null"));
        return this;
    }

    /** Starts at the end: only records written after the follower is positioned ({@link #awaitPositioned}). */
    public TopicFollower fromEnd() {
        this.since = Optional.empty();
        return this;
    }

    /** Starts following; {@code onRecord} sees every record, tombstones included, on the follower's thread. */
    public TopicFollower start(java.util.function.Consumer<ConsumerRecord<String, byte[]>> onRecord) { // name clash
        Objects.requireNonNull(onRecord, "onRecord == null");
        if (thread != null) {
            throw new IllegalStateException("follower " + name + " started already");
        }
        thread = Thread.ofPlatform().daemon().name(name).start(() -> run(onRecord));
        return this;
    }

    /** Waits until the start positions are known (records written after that are seen); false on timeout. */
    public boolean awaitPositioned(Duration timeout) throws InterruptedException {
        return positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until every record present when the follower was positioned has been handed over; false on timeout. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True once every record present when the follower was positioned has been handed over. */
    public boolean caughtUp() {
        return caughtUp.getCount() == 0;
    }

    /** The error that ended this follower; empty while it runs (or retries). */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get());
    }

    private void run(java.util.function.Consumer<ConsumerRecord<String, byte[]>> onRecord) { // name clash
        try {
            List<TopicPartition> partitions = partitions();
            if (partitions.isEmpty()) {
                return;
            }
            consumer.assign(partitions);
            position(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            partitions.forEach(consumer::position);
            positioned.countDown();
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                        onRecord.accept(record);
                    }
                } catch (WakeupException e) {
                    break;
                } catch (KafkaException e) {
                    if (KafkaAccessException.isAccessError(e)) {
                        throw e;
                    }
                    LOG.warn("{}: {}; polling on", name, e.getMessage());
                }
                if (caughtUp.getCount() > 0 && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("{} stopped", name, e);
            failure.compareAndSet(null, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void position(List<TopicPartition> partitions) {
        if (since.isEmpty()) {
            consumer.seekToEnd(partitions);
        } else if (since.get().equals(Instant.EPOCH)) {
            consumer.seekToBeginning(partitions);
        } else {
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, since.get().toEpochMilli()));
            List<TopicPartition> toEnd = new ArrayList<>();
            consumer.offsetsForTimes(query).forEach((partition, offset) -> {
                if (offset == null) {
                    toEnd.add(partition);
                } else {
                    consumer.seek(partition, offset.offset());
                }
            });
            consumer.seekToEnd(toEnd);
        }
    }

    /** The partitions of the topics, once they all exist and the broker answers; empty when closed first. */
    private List<TopicPartition> partitions() throws InterruptedException {
        long backoff = 500;
        while (running) {
            try {
                List<TopicPartition> partitions = new ArrayList<>();
                String missing = null;
                for (String topic : topics) {
                    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                    if (infos == null || infos.isEmpty()) {
                        missing = topic;
                        break;
                    }
                    infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                }
                if (missing == null) {
                    return partitions;
                }
                LOG.warn("{}: topic {} not found yet; retrying in {} ms", name, missing, backoff);
            } catch (WakeupException e) {
                return List.of();
            } catch (KafkaException e) {
                if (KafkaAccessException.isAccessError(e)) {
                    throw e;
                }
                LOG.warn("{}: {}; retrying in {} ms", name, e.toString(), backoff);
            }
            Thread.sleep(backoff);
            backoff = Math.min(30_000, backoff * 2);
        }
        return List.of();
    }

    /** Stops following and closes the consumer. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
