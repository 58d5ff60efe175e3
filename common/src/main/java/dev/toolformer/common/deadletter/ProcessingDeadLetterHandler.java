package dev.toolformer.common.deadletter;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' handler for a record that decodes but makes a processor throw (a bug, or a value no
 * processor expected): one bad record must not stop analytics or alerting, nor crash-loop them on
 * restart. The source record — its raw bytes as read, where it came from, which processor failed and
 * why — goes to {@code toolformer.dlq} as an {@code INTERNAL} dead letter, written by Streams' own
 * producer (in the same transaction under exactly-once), and processing resumes with the next record.
 * An exception in a punctuator has no source record: it is logged and the punctuation skipped.
 */
public final class ProcessingDeadLetterHandler implements ProcessingExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProcessingDeadLetterHandler.class);

    private String service = "streams";

    @Override
    public void configure(Map<String, ?> configs) {
        service = DeadLetters.streamsService(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
        String where = "processor " + context.processorNodeId() + " of task " + context.taskId();
        if (context.topic() == null) {
            log.error("{} failed outside of any record (punctuation); skipping it", where, error);
            return Response.resume();
        }
        DeadLetter letter = DeadLetters.of(context.topic(), context.partition(), context.offset(),
                context.sourceRawKey(), context.sourceRawValue(), context.headers(), DeadLetterReason.INTERNAL,
                where + " failed: " + error, 1, service, Instant.now());
        log.error("Dead-lettering {}-{}@{}: {} failed", context.topic(), context.partition(), context.offset(), where,
                error);
        return Response.resume(List.of(DeadLetters.record(context.sourceRawKey(), letter)));
    }
}
