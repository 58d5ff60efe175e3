package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.schema.ToolResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of a result is its {@code finished_at}: a window counts what finished in it, however late
 * the executor published it. A missing or negative {@code finished_at} falls back to the record's own
 * timestamp, then to the partition's stream time; if all are negative the record is dropped by Streams.
 */
final class FinishedAtTimestampExtractor implements TimestampExtractor {

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof ToolResult result) {
            Instant finishedAt = result.getFinishedAt();
            if (finishedAt != null && finishedAt.toEpochMilli() >= 0) {
                return finishedAt.toEpochMilli();
            }
        }
        return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
    }
}
