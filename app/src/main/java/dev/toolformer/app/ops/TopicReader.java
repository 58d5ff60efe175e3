package dev.toolformer.app.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a topic's values from a point in time up to its current end, for the reports. */
final class TopicReader {
    private static final Logger log = LoggerFactory.getLogger(TopicReader.class);

    private TopicReader() {
    }

    /**
     * Every decodable value of {@code topic} whose record timestamp is at or after {@code from} (every
     * value for {@link Instant#EPOCH}) up to the end offsets at the time of the call. Undecodable
     * values are skipped and counted in the log: a report goes on without them.
     */
    static <V extends SpecificRecord> List<V> read(KafkaSettings kafka, Topic<V> topic, Instant from) {
        AvroSerde<V> serde = AvroSerde.of(topic.valueType());
        List<V> out = new ArrayList<>();
        long skipped = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = BackupClients.consumer(kafka, "report-" + UUID.randomUUID())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic.name() + " does not exist on " + kafka.bootstrapServers());
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            seek(consumer, partitions, from, end);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || r.value() == null) {
                        continue;
                    }
                    try {
                        out.add(serde.decode(r.value()));
                    } catch (DecodeException e) {
                        skipped++;
                    }
                }
            }
        }
        if (skipped > 0) {
            log.warn("Skipped {} undecodable record(s) of {}", skipped, topic.name());
        }
        return out;
    }

    private static void seek(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Instant from,
                             Map<TopicPartition, Long> end) {
        if (from.equals(Instant.EPOCH)) {
            consumer.seekToBeginning(partitions);
            return;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, from.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp at = found.get(tp);
            consumer.seek(tp, at == null ? end.get(tp) : at.offset());
        }
    }
}
