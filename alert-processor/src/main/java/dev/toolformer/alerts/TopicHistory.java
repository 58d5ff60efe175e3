package dev.toolformer.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/** A one-shot read of every partition of a topic, from the first record at or after a time to the current end. */
final class TopicHistory {
    private TopicHistory() {
    }

    /**
     * The committed records of {@code topic} with a timestamp at or after {@code since}, partition by partition
     * in offset order.
     *
     * @throws TimeoutException if the end is not reached within {@code timeout}
     */
    static List<ConsumerRecord<String, byte[]>> since(KafkaSettings kafka, String topic, Instant since,
                                                      Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                kafka.consumer(null, "toolformer-history-" + topic + "-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, since.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, timeout);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp start = starts.get(p);
                consumer.seek(p, start == null ? ends.get(p) : start.offset());
            }
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading " + topic + " since " + since + " took longer than " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.timestamp() >= since.toEpochMilli()) {
                        records.add(r);
                    }
                });
            }
            return records;
        }
    }
}
