package dev.toolformer.analytics;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

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
 * <p>
 * Those times come from the executors' clocks, which may be wrong. The topics are created with
 * {@code message.timestamp.type=LogAppendTime}, so a record's timestamp is the broker's: an event cannot
 * have happened after the broker appended its record, so an event time more than {@code tolerance} past
 * the append time is clamped to the append time (and counted). Otherwise one executor ahead by more than
 * the grace would move stream time forward and make everyone else's results late (dropped), and one hours
 * ahead would make deduplication forget. Heartbeats are also clamped from below ({@code clampPast}): a
 * heartbeat is published when it is sent, so one older than the tolerance comes from a clock behind, which
 * must not mark a live executor DOWN. Results and outcomes are not clamped from below: they may be published
 * late (after a broker outage) or restored from a backup, and keep their time; beyond the grace they are
 * dropped by Streams and counted in its {@code dropped-records} metric. On a topic created by hand with
 * producer timestamps (CreateTime), a record's timestamp comes from the same clock as its event time, so
 * nothing is clamped — and nothing is fixed: create the topics with {@code toolformer topics --create}.
 */
final class EventTimeExtractor implements TimestampExtractor {
    private final long toleranceMs;
    private final boolean clampPast;
    private final LongAdder clamped;

    /**
     * @param clamped counts the records whose event time was clamped
     */
    EventTimeExtractor(Duration tolerance, boolean clampPast, LongAdder clamped) {
        this.toleranceMs = tolerance.toMillis();
        this.clampPast = clampPast;
        this.clamped = clamped;
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        Instant eventTime = switch (record.value()) {
            case ToolResult result -> result.getFinishedAt();
            case SpeculationOutcome outcome -> outcome.getDecidedAt();
            case ExecutorHeartbeat heartbeat -> heartbeat.getSentAt();
            case null, default -> null;
        };
        if (eventTime == null || eventTime.toEpochMilli() < 0) {
            return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
        }
        long event = eventTime.toEpochMilli();
        // Streams hands extractors its records with their timestamps but not their timestamp type.
        if (record.timestamp() >= 0) {
            long appended = record.timestamp();
            if (event > appended + toleranceMs || (clampPast && event < appended - toleranceMs)) {
                clamped.increment();
                return appended;
            }
        }
        return event;
    }
}
