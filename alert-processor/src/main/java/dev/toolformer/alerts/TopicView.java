package dev.toolformer.alerts;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import java.util.function.Function;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.TopicFollower;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every partition of a keyed topic as a map of the latest value per key, kept current by a
 * {@link TopicFollower} (no group: each instance sees everything). A value {@code keep} rejects, or a
 * tombstone, removes its key. Supervised as the follower is: a missing topic or an error a retry can fix is
 * retried; anything else ends the view and is reported by {@link #failure()}.
 */
public final class TopicView<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicView.class);

    private final String topic;
    private final TopicFollower follower;
    private final Function<byte[], V> decode;
    private final BiPredicate<String, V> keep;
    private final Map<String, V> values = new ConcurrentHashMap<>();

    public TopicView(KafkaSettings kafka, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this(TopicFollower.of(kafka, List.of(topic), "view-" + topic), topic, decode, keep);
    }

    /** A view reading with {@code consumer}, which it owns. */
    public TopicView(Consumer<String, byte[]> consumer, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this(TopicFollower.of(consumer, List.of(topic), "view-" + topic), topic, decode, keep);
    }

    private TopicView(TopicFollower follower, String topic, Function<byte[], V> decode, BiPredicate<String, V> keep) {
        this.topic = topic;
        this.decode = decode;
        this.keep = keep;
        this.follower = follower.fromBeginning();
    }

    public TopicView<V> start() {
        follower.start(this::apply);
        return this;
    }

    /** The current values; a live, thread-safe map. */
    public Map<String, V> values() {
        return values;
    }

    /** Waits until the view holds everything the topic held when it started; false on timeout. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    /** The error that ended this view; empty while it runs (or retries). */
    public Optional<RuntimeException> failure() {
        return follower.failure();
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
        follower.close();
    }
}
