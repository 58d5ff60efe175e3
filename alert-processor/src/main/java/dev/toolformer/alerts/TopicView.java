package dev.toolformer.alerts;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;
import java.util.function.Function;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.DecodeException;
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
 * Every partition of a keyed topic as a map of the latest value per key, kept current by one thread that
 * owns its consumer (no group: each instance sees everything). A value {@code keep} rejects, or a
 * tombstone, removes its key. Supervised: a missing topic or an error a retry can fix (the broker away,
 * a timeout) is logged and retried with backoff; anything else ends the view and is reported by
 * {@link #failure()}.
 */
public final class TopicView<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicView.class);

    private final String topic;
    private final Consumer<String, byte[]> consumer;
    private final Function<byte[], V> decode;
    private final BiPredicate<String, V> keep;
    private final Map<String, V> values = new ConcurrentHashMap<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean running = true;

    public TopicView(KafkaSettings kafka, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this(new KafkaConsumer<>(kafka.consumer(null, "toolformer-view-" + topic + "-" + UUID.randomUUID())), topic,
                decode, keep);
    }

    /** A view reading with {@code consumer}, which it owns. */
    public TopicView(Consumer<String, byte[]> consumer, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this.topic = topic;
        this.decode = decode;
        this.keep = keep;
        this.consumer = consumer;
        this.thread = Thread.ofPlatform().daemon().name("view-" + topic).unstarted(this::run);
    }

    public TopicView<V> start() {
        thread.start();
        return this;
    }

    /** The current values; a live, thread-safe map. */
    public Map<String, V> values() {
        return values;
    }

    /** Waits until the view holds everything the topic held when it started; false on timeout. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The error that ended this view; empty while it runs (or retries). */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** The partitions of the topic, once it exists and the broker answers; empty when closed first. */
    private List<TopicPartition> partitions() throws InterruptedException {
        long backoff = 500;
        while (running) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                }
                LOG.warn("view of {}: topic not found yet; retrying in {} ms", topic, backoff);
            } catch (WakeupException e) {
                return List.of();
            } catch (KafkaException e) {
                if (KafkaAccessException.isAccessError(e)) {
                    throw e;
                }
                LOG.warn("view of {}: {}; retrying in {} ms", topic, e.toString(), backoff);
            }
            Thread.sleep(backoff);
            backoff = Math.min(30_000, backoff * 2);
        }
        return List.of();
    }

    private void run() {
        try {
            List<TopicPartition> partitions = partitions();
            if (partitions.isEmpty()) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        apply(record);
                    }
                } catch (WakeupException e) {
                    break;
                } catch (KafkaException e) {
                    LOG.warn("view of {}: {}; polling on", topic, e.getMessage());
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
            LOG.error("view of {} stopped", topic, e);
            failure.compareAndSet(null, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            values.remove(record.key());
            return;
        }
        try {
            V value = decode.apply(record.value());
            if (keep.test(record.key(), value)) {
                values.put(record.key(), value);
            } else {
                values.remove(record.key());
            }
        } catch (DecodeException e) {
            LOG.warn("view of {}: skipping {}-{}@{}: {}", topic, record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
