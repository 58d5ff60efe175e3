package dev.toolformer.embedded.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads topics from where they end when it is created, on its own thread, and hands every record to a
 * callback: how the integration tests watch results, dead letters, windows, alerts and commands.
 */
public final class TopicTail implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean closed;

    public TopicTail(KafkaSettings kafka, List<Topic<?>> topics, Consumer<ConsumerRecord<String, byte[]>> onRecord) {
        consumer = new KafkaConsumer<>(kafka.consumer(null, "test-tail"));
        List<TopicPartition> partitions = new ArrayList<>();
        for (Topic<?> topic : topics) {
            consumer.partitionsFor(topic.name())
                    .forEach(p -> partitions.add(new TopicPartition(topic.name(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the ends now, before the test produces anything
        thread = Thread.ofPlatform().daemon().start(() -> {
            while (!closed) {
                consumer.poll(Duration.ofMillis(100)).forEach(onRecord);
            }
            consumer.close();
        });
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(Duration.ofSeconds(5));
    }
}
