package dev.toolformer.embedded.testing;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicFollower;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads topics from where they end when it is created, on its own thread, and hands every record to a
 * callback: how the integration tests watch results, dead letters, windows, alerts and commands.
 */
public final class TopicTail implements AutoCloseable {
    private final TopicFollower follower;

    public TopicTail(KafkaSettings kafka, List<Topic<?>> topics, Consumer<ConsumerRecord<String, byte[]>> onRecord) {
        follower = TopicFollower.of(kafka, topics.stream().map(Topic::name).toList(), "test-tail").fromEnd();
        follower.start(onRecord);
        try {
            // The ends are resolved now, before the test produces anything.
            if (!follower.awaitPositioned(Duration.ofSeconds(60))) {
                follower.close();
                throw new IllegalStateException("tail of " + topics + " not positioned within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            follower.close();
            throw new IllegalStateException("interrupted while positioning the tail of " + topics, e);
        }
    }

    @Override
    public void close() {
        follower.close();
    }
}
