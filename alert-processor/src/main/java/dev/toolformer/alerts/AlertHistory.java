package dev.toolformer.alerts;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Reads toolformer.alerts for people and tools: the latest transition of every alert. */
public final class AlertHistory {
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);

    private AlertHistory() {
    }

    /** The latest event of every fingerprint on toolformer.alerts (resolved ones included), by fingerprint. */
    public static Map<String, AlertEvent> latest(KafkaSettings kafka) {
        Map<String, AlertEvent> latest = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null,
                "toolformer-alerts-reader-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.ALERTS.name(), Duration.ofSeconds(15))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        AlertEvent event = ALERTS.decode(record.value());
                        latest.put(event.getFingerprint(), event);
                    } catch (DecodeException e) {
                        // Not an alert a person can act on; the dead-letter tooling reports bad records.
                    }
                }
            }
        }
        return latest;
    }
}
