package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of the input topics: a result's {@code finished_at}, an outcome's {@code decided_at}, a
 * heartbeat's {@code sent_at}. A window then counts what happened in it, however late it was published.
 * A missing or negative time falls back to the record's own timestamp, then to the partition's stream
 * time; if all are negative the record is dropped by Streams.
 */
final class EventTimeExtractor implements TimestampExtractor {

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        Instant eventTime = switch (record.value()) {
            case ToolResult result -> result.getFinishedAt();
            case SpeculationOutcome outcome -> outcome.getDecidedAt();
            case ExecutorHeartbeat heartbeat -> heartbeat.getSentAt();
            case null, default -> null;
        };
        if (eventTime != null && eventTime.toEpochMilli() >= 0) {
            return eventTime.toEpochMilli();
        }
        return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
    }
}
