package dev.toolformer.executor;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

import dev.toolformer.common.deadletter.DeadLetters;
import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.semconv.ExceptionAttributes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The work of one record on its virtual thread: decode, run, publish the result (and dead letter),
 * then hand the offset back to the poll thread as a {@link Completion} once the broker has the
 * outcome. Running requests are registered in {@link Executions}, through which they are cancelled or abandoned;
 * how many may run is {@link InFlightLimit}'s call.
 * <p>
 * No outcome vanishes: a result or dead letter is measured once encoded against the producer's
 * {@link RecordBudget}, and one too large becomes one that fits (an {@code OutputTooLarge} ERROR result
 * naming both sizes; a dead letter with its original value cut and hashed) — also when the broker
 * refuses a record the producer accepted. A send error no retry fixes (an ACL refusing the results or
 * DLQ topic) never counts as done: the record stays uncommitted and {@code onFatal} stops the executor.
 * In-flight work is bounded by records ({@code max-in-flight}) and by the bytes of the records it
 * holds ({@code max-in-flight-bytes}). Thread-safe.
 */
final class RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);
    /** Error type of the ERROR result that replaces a result too large for a record. */
    static final String OUTPUT_TOO_LARGE = "OutputTooLarge";
    /** Budget of a dead letter re-sent after the broker refused it as too large. */
    private static final int REFUSED_DEAD_LETTER_BYTES = 64 * 1024;

    /** A record whose outcome the broker has acknowledged. */
    record Completion(TopicPartition partition, long epoch, long offset, String key) {
    }

    private final ExecutorConfig config;
    private final Producer<String, byte[]> producer;
    private final RequestRunner runner;
    private final ExecutorMetrics metrics;
    private final Clock clock;
    private final ExecutorService workers;
    private final RecordBudget budget;
    private final BiConsumer<String, KafkaException> onFatal;
    private final InFlightLimit limit;
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final Executions executions = new Executions();
    private volatile boolean publishing = true;

    /**
     * @param budget  the size limit of the records {@code producer} can send
     * @param onFatal hears of a send error no retry fixes, with the topic it was for; the record stays
     *                uncommitted, and the caller is expected to stop the executor
     */
    RequestHandler(ExecutorConfig config, Producer<String, byte[]> producer, RequestRunner runner,
                   ExecutorMetrics metrics, Clock clock, ExecutorService workers, RecordBudget budget,
                   BiConsumer<String, KafkaException> onFatal) {
        this.config = config;
        this.budget = budget;
        this.onFatal = onFatal;
        this.producer = producer;
        this.runner = runner;
        this.metrics = metrics;
        this.clock = clock;
        this.workers = workers;
        this.limit = new InFlightLimit(config);
    }

    /** How many requests run and may run, in records and bytes (the poll thread asks it before starting one). */
    InFlightLimit limit() {
        return limit;
    }

    Queue<Completion> completions() {
        return completions;
    }

    void own(Collection<TopicPartition> partitions) {
        executions.own(partitions);
    }

    /** Called on the poll thread; the record runs on a worker. */
    void start(ConsumerRecord<String, byte[]> record, long epoch) {
        Work work = new Work(record, epoch, InFlightLimit.weight(record));
        metrics.inFlightNow(limit.acquire(work.weight));
        workers.execute(() -> handle(work));
    }

    /**
     * Cancels the request if it is running; otherwise remembers it, so that it finishes CANCELLED
     * without running should it be read later.
     *
     * @return true when a running request was cancelled
     */
    boolean cancel(String requestId, String reason) {
        return executions.cancel(requestId, reason);
    }

    /** Abandons the running requests of these partitions: they finish without publishing. */
    int abandon(Collection<TopicPartition> partitions) {
        return executions.abandon(partitions);
    }

    /** Stops retrying failed publications (the executor is stopping). */
    void stopPublishing() {
        publishing = false;
    }

    private void handle(Work work) {
        ConsumerRecord<String, byte[]> record = work.record;
        try {
            ToolRequest request;
            try {
                request = REQUESTS.decode(record.value());
            } catch (DecodeException e) {
                log.warn("Dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
                publish(List.of(deadLetter(record, DeadLetters.reasonOf(e), e.getMessage(), 0)), work);
                return;
            }
            run(request, work);
        } catch (RuntimeException | Error e) {
            failed(work, e);
        }
    }

    /**
     * A bug of ours, not of the request (an Error too: a request that ends here without an outcome would keep its
     * in-flight slot and block its key for ever): the record goes to the DLQ so the partition never blocks.
     */
    private void failed(Work work, Throwable e) {
        ConsumerRecord<String, byte[]> record = work.record;
        log.error("Executor failed on {}-{}@{}", record.topic(), record.partition(), record.offset(), e);
        Thread.interrupted();
        if (work.published.get()) {
            return; // its outcome is already with the producer, which completes it
        }
        publish(List.of(deadLetter(record, DeadLetterReason.INTERNAL, e.toString(), 1)), work);
    }

    /**
     * Starts the request under its span; it ends in {@link #ran}, on this thread or (an {@link AsyncTool}'s request,
     * which waited without a thread) on the one that carried it on.
     */
    private void run(ToolRequest request, Work work) {
        // One span per tool execution (GenAI semantic conventions), a child of the publisher's span; its
        // ids and the request's are on every log line written meanwhile.
        Span span = Tracing.tracer().spanBuilder("execute_tool " + request.getTool())
                .setParent(Tracing.extract(work.record.headers()))
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(SpanAttributes.GEN_AI_OPERATION_NAME, "execute_tool")
                .setAttribute(SpanAttributes.GEN_AI_TOOL_NAME, request.getTool())
                .setAttribute(SpanAttributes.GEN_AI_SYSTEM, request.getProvider())
                .setAttribute(SpanAttributes.GEN_AI_REQUEST_MODEL, request.getModel())
                .setAttribute(SpanAttributes.REQUEST_ID, request.getRequestId())
                .startSpan();
        Execution execution = executions.begin(request.getRequestId(), work.partition);
        try (Scope scope = span.makeCurrent(); MdcScope mdc = MdcScope.of(request, span)) {
            ToolEvents.started(request);
            runner.start(request, execution, (run, bug) -> ran(request, work, span, execution, run, bug));
        }
    }

    /**
     * The request ran (or a bug stopped it): publishes its result, under its span and log context — set again when
     * another thread carries the request on, as after an {@link AsyncTool}'s wait.
     */
    private void ran(ToolRequest request, Work work, Span span, Execution execution, RequestRunner.Run run,
                     Throwable bug) {
        // Inline (a tool that ran on this thread): still inside run()'s scopes. (Not Span.current() != span: without
        // tracing every span is the same invalid one.)
        boolean resumed = !request.getRequestId().equals(MDC.get(MdcScope.REQUEST_ID));
        try (Scope scope = resumed ? span.makeCurrent() : Scope.noop();
             MdcScope mdc = resumed ? MdcScope.of(request, span) : MdcScope.NONE) {
            executions.end(execution);
            if (bug != null) {
                failed(work, bug);
                return;
            }
            ToolResult result = publishResult(request, work, execution, run);
            if (result != null) {
                ToolEvents.finished(request, result);
                span.setAttribute(SpanAttributes.STATUS, result.getStatus().name());
                span.setAttribute(SpanAttributes.GEN_AI_USAGE_INPUT_TOKENS, result.getInputTokens());
                span.setAttribute(SpanAttributes.GEN_AI_USAGE_OUTPUT_TOKENS, result.getOutputTokens());
                if (result.getStatus() != ToolStatus.SUCCESS) {
                    span.setStatus(StatusCode.ERROR, result.getStatus().name());
                }
                if (result.getError() != null) {
                    // The semantic conventions' exception event: what failed, as the result tells it.
                    span.addEvent("exception", Attributes.of(ExceptionAttributes.EXCEPTION_TYPE, result.getError().getType(),
                            ExceptionAttributes.EXCEPTION_MESSAGE, result.getError().getMessage()));
                }
                log.debug("Executed {} for request {}: {} after {} attempt(s)", request.getTool(),
                        request.getRequestId(), result.getStatus(), result.getAttempts());
            }
        } catch (RuntimeException | Error e) {
            failed(work, e);
        } finally {
            span.end();
        }
    }

    /** Publishes the result of a run; the result published, or null when the request was abandoned. */
    private ToolResult publishResult(ToolRequest request, Work work, Execution execution, RequestRunner.Run run) {
        ConsumerRecord<String, byte[]> record = work.record;
        String requestId = request.getRequestId();
        boolean publish = execution.finish();
        Thread.interrupted();
        if (!publish) {
            work.release();
            return null;
        }
        ToolResult result = run.result();
        // The request's headers (correlation id) travel on with its result, under this execution's span (counted in
        // the record's size here; the traced producer replaces it with its publish span's, of the same size).
        Headers headers = new RecordHeaders(record.headers().toArray());
        Tracing.inject(Context.current(), headers);
        byte[] value = RESULTS.encode(result);
        if (!budget.fits(requestId, value, headers)) {
            int size = budget.size(requestId, value, headers);
            log.warn("The result of request {} is {} bytes, more than the {} a record may have; publishing an {} "
                    + "error instead", requestId, size, budget.maxRecordBytes(), OUTPUT_TOO_LARGE);
            result = tooLarge(result, "the result is " + size + " bytes, more than the " + budget.maxRecordBytes()
                    + " bytes a record may have (producer max.request.size)");
            value = RESULTS.encode(result);
            if (!budget.fits(requestId, value, headers)) {
                headers = traceOnly();
            }
            if (!budget.fits(requestId, value, headers)) {
                // Even without its output the result cannot be sent (a huge id or name): the request goes to the DLQ.
                publish(List.of(deadLetter(record, DeadLetterReason.INTERNAL, "its result of at least "
                        + budget.size(requestId, value, headers) + " bytes cannot fit the " + budget.maxRecordBytes()
                        + " bytes a record may have", result.getAttempts())), work);
                return null;
            }
        }
        metrics.result(result);
        List<Outgoing> out = new ArrayList<>(2);
        ToolResult published = result;
        out.add(new Outgoing(new ProducerRecord<>(Topics.RESULTS.name(), null, requestId, value, headers),
                error -> new ProducerRecord<>(Topics.RESULTS.name(), null, requestId, RESULTS.encode(tooLarge(published,
                        "the broker refused the result as too large (" + error.getMessage() + ")")), traceOnly())));
        if (run.retriesExhausted()) {
            out.add(deadLetter(record, DeadLetterReason.RETRIES_EXHAUSTED, result.getError().getType() + ": "
                    + result.getError().getMessage(), result.getAttempts()));
        }
        publish(out, work);
        return result;
    }

    /**
     * The ERROR result that replaces one too large to publish: the same request, attempts, tokens and cost,
     * no output, and an {@value #OUTPUT_TOO_LARGE} error saying why and how the call itself ended.
     */
    private static ToolResult tooLarge(ToolResult result, String why) {
        ToolResult.Builder smaller = ToolResult.newBuilder(result).setOutputJson(null).setStatus(ToolStatus.ERROR)
                .setError(RequestRunner.error(OUTPUT_TOO_LARGE, why + "; the output was dropped (the call itself ended "
                        + result.getStatus() + ")", false));
        return smaller.build();
    }

    /** Headers with only this execution's trace context. */
    private static Headers traceOnly() {
        Headers headers = new RecordHeaders();
        Tracing.inject(Context.current(), headers);
        return headers;
    }

    private Outgoing deadLetter(ConsumerRecord<String, byte[]> record, DeadLetterReason reason, String detail,
                                int attempts) {
        metrics.deadLetter(reason.name());
        byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
        // A key too long for a record key of its own is replaced by its hash; the letter keeps its first bytes.
        String dlqKey = key == null || key.length <= 1024 ? record.key() : "sha256:" + DeadLetters.sha256(key);
        ProducerRecord<String, byte[]> letter = new ProducerRecord<>(Topics.DLQ.name(), dlqKey, DEAD_LETTERS.encode(
                deadLetter(record, key, reason, detail, attempts, budget.maxValueBytes(dlqKey, null))));
        return new Outgoing(letter, error -> new ProducerRecord<>(Topics.DLQ.name(), dlqKey, DEAD_LETTERS.encode(
                deadLetter(record, key, reason, detail + " [re-sent cut to " + REFUSED_DEAD_LETTER_BYTES
                        + " bytes: the broker refused it as too large]", attempts, REFUSED_DEAD_LETTER_BYTES))));
    }

    private DeadLetter deadLetter(ConsumerRecord<String, byte[]> record, byte[] key, DeadLetterReason reason,
                                  String detail, int attempts, int maxBytes) {
        return DeadLetters.of(record.topic(), record.partition(), record.offset(), key, record.value(),
                record.headers(), reason, detail, attempts, "executor:" + config.executorId(), clock.instant(), maxBytes);
    }

    /** Sends every record; the completion follows once the broker has acknowledged all of them. */
    private void publish(List<Outgoing> records, Work work) {
        if (!work.published.compareAndSet(false, true)) {
            log.error("The outcome of {}-{}@{} was already published; not publishing another", work.record.topic(),
                    work.record.partition(), work.record.offset());
            return;
        }
        AtomicInteger pending = new AtomicInteger(records.size());
        Runnable acknowledged = () -> {
            if (pending.decrementAndGet() == 0 && work.release()) {
                completions.add(work.done);
            }
        };
        // Stopping, revoked, or refused for good: the offset stays uncommitted and the next owner runs the record again.
        Runnable dropped = work::release;
        for (Outgoing record : records) {
            send(record.record, record.whenTooLarge, work.partition, acknowledged, dropped);
        }
    }

    /**
     * @param whenTooLarge the smaller record to send should the broker refuse this one as too large, or null
     */
    private void send(ProducerRecord<String, byte[]> record, Function<Exception, ProducerRecord<String, byte[]>> whenTooLarge,
                      TopicPartition from, Runnable acknowledged, Runnable dropped) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acknowledged.run();
                } else if (error instanceof RecordTooLargeException && whenTooLarge != null) {
                    log.warn("{} refused a record of {} bytes as too large; sending a smaller one: {}", record.topic(),
                            budget.size(record.key(), record.value(), record.headers()), error.toString());
                    // Sent again in the execution's trace: the callback runs in the context of the first send.
                    workers.execute(Context.current().wrap(() -> send(whenTooLarge.apply(error), null, from,
                            acknowledged, dropped)));
                } else if (error instanceof RetriableException) {
                    if (publishing && executions.owns(from)) {
                        log.warn("Publishing to {} failed ({}); retrying", record.topic(), error.toString());
                        workers.execute(Context.current().wrap(() -> send(record, whenTooLarge, from, acknowledged,
                                dropped)));
                    } else {
                        // Revoked or stopping: the next owner runs the record again; retrying here would race it.
                        log.info("Not retrying a record for {} of {} (no longer owned or stopping): {}", record.topic(),
                                from, error.toString());
                        dropped.run();
                    }
                } else {
                    // Retrying cannot help (not authorised, refused for good): the outcome is not with the broker, so
                    // the record is not done; it stays uncommitted and the executor stops, loudly.
                    log.error("Publishing to {} failed for good; the record {}@{} stays uncommitted and the executor "
                            + "stops: {}", record.topic(), from, record.key(), error.toString());
                    dropped.run();
                    onFatal.accept(record.topic(), error instanceof KafkaException k ? k
                            : new KafkaException(error.getMessage(), error));
                }
            });
        } catch (RuntimeException e) {
            // The producer is closed or the record cannot be sent at all.
            log.warn("Cannot publish to {}: {}", record.topic(), e.toString());
            dropped.run();
        }
    }

    /** A record to send, and what to send instead should the broker refuse it as too large (or null). */
    private record Outgoing(ProducerRecord<String, byte[]> record,
                            Function<Exception, ProducerRecord<String, byte[]>> whenTooLarge) {
    }

    /** One record's work: its completion, the bytes it holds, and whether its outcome went to the producer. */
    private final class Work {
        final ConsumerRecord<String, byte[]> record;
        final TopicPartition partition;
        final Completion done;
        final int weight;
        final AtomicBoolean published = new AtomicBoolean();
        private final AtomicBoolean released = new AtomicBoolean();

        Work(ConsumerRecord<String, byte[]> record, long epoch, int weight) {
            this.record = record;
            this.partition = new TopicPartition(record.topic(), record.partition());
            this.done = new Completion(partition, epoch, record.offset(), record.key());
            this.weight = weight;
        }

        /** Frees its in-flight slot and bytes, once; true the first time. */
        boolean release() {
            if (!released.compareAndSet(false, true)) {
                return false;
            }
            limit.release(weight);
            return true;
        }
    }

    /** The request's ids and its span's on every log line of the thread until closed. */
    private static class MdcScope implements AutoCloseable {
        static final String REQUEST_ID = "request_id";
        private static final String[] KEYS = {REQUEST_ID, "correlation_id", "trace_id", "span_id"};
        private static final MdcScope SCOPE = new MdcScope();
        /** Sets and clears nothing: the thread's context is already the request's. */
        static final MdcScope NONE = new MdcScope() {
            @Override
            public void close() {
            }
        };

        static MdcScope of(ToolRequest request, Span span) {
            MDC.put(KEYS[0], request.getRequestId());
            MDC.put(KEYS[1], request.getCorrelationId());
            MDC.put(KEYS[2], span.getSpanContext().getTraceId());
            MDC.put(KEYS[3], span.getSpanContext().getSpanId());
            return SCOPE;
        }

        @Override
        public void close() {
            for (String key : KEYS) {
                MDC.remove(key);
            }
        }
    }
}
