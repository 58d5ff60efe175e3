package dev.toolformer.common.tracing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.opentelemetry.instrumentation.kafkaclients.v2_6.internal.OpenTelemetryConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * OpenTelemetry's consumer interceptor ({@code process} spans, each in the trace of its record's producer) that keeps
 * what it drops: it rebuilds the polled batch without {@link ConsumerRecords#nextOffsets()}, which Kafka Streams 4
 * reads to commit the position after the batch (past transaction markers) rather than after its last record.
 */
public final class TracingConsumerInterceptor<K, V> extends OpenTelemetryConsumerInterceptor<K, V> {
    @Override
    public ConsumerRecords<K, V> onConsume(ConsumerRecords<K, V> records) {
        ConsumerRecords<K, V> traced = super.onConsume(records);
        if (traced == records || records.nextOffsets().isEmpty()) {
            return traced;
        }
        Map<TopicPartition, List<ConsumerRecord<K, V>>> byPartition = new LinkedHashMap<>();
        for (TopicPartition partition : traced.partitions()) {
            byPartition.put(partition, traced.records(partition));
        }
        return new ConsumerRecords<>(byPartition, records.nextOffsets());
    }
}
