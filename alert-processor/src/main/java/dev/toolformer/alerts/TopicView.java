package dev.toolformer.alerts;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Function;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.DecodeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every partition of a keyed topic as a map of the latest value per key, kept current by one thread that
 * owns its consumer (no group: each instance sees everything). A value {@code keep} rejects, or a
 * tombstone, removes its key.
 */
final class TopicView<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicView.class);

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Function<byte[], V> decode;
    private final BiPredicate<String, V> keep;
    private final Map<String, V> values = new ConcurrentHashMap<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    TopicView(KafkaSettings kafka, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this.topic = topic;
        this.decode = decode;
        this.keep = keep;
        this.consumer = new KafkaConsumer<>(kafka.consumer(null, "toolformer-view-" + topic + "-" + UUID.randomUUID()));
        this.thread = Thread.ofPlatform().daemon().name("view-" + topic).unstarted(this::run);
    }

    TopicView<V> start() {
        thread.start();
        return this;
    }

    /** The current values; a live, thread-safe map. */
    Map<String, V> values() {
        return values;
    }

    /** Waits until the view holds everything the topic held when it started; false on timeout. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
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
        } catch (RuntimeException e) {
            LOG.error("view of {} stopped", topic, e);
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
