package dev.toolformer.executor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Builds the dead-letter record of a consumed record that cannot be processed. */
final class DeadLetters {
    private DeadLetters() {
    }

    static DeadLetter of(ConsumerRecord<String, byte[]> record, DecodeException error, String service, Instant now) {
        DeadLetterReason reason = switch (error.reason()) {
            case NULL_VALUE -> DeadLetterReason.NULL_VALUE;
            case UNKNOWN_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
            case BAD_HEADER, CORRUPT_BODY -> DeadLetterReason.UNDECODABLE;
        };
        Map<String, String> headers = new HashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
        }
        return DeadLetter.newBuilder()
                .setOriginalTopic(record.topic())
                .setOriginalPartition(record.partition())
                .setOriginalOffset(record.offset())
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setOriginalHeaders(headers)
                .setReason(reason)
                .setDetail(error.getMessage())
                .setAttempts(0)
                .setService(service)
                .setFailedAt(now)
                .build();
    }
}
