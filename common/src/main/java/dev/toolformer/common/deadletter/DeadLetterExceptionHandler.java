package dev.toolformer.common.deadletter;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.toolformer.schema.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' handler for records that cannot be deserialized: the record goes to
 * {@code toolformer.dlq} as a {@link DeadLetter} (written by Streams' own producer, so within the
 * same transaction under exactly-once) and processing resumes with the next record.
 */
public final class DeadLetterExceptionHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);

    private String service = "streams";

    @Override
    public void configure(Map<String, ?> configs) {
        service = DeadLetters.streamsService(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception error) {
        DeadLetter letter = DeadLetters.of(record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), record.headers(), DeadLetters.reasonOf(error), error.getMessage(), 0, service,
                Instant.now());
        log.warn("Dead-lettering {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(),
                letter.getReason(), error.getMessage());
        return Response.resume(List.of(DeadLetters.record(record.key(), letter)));
    }
}
