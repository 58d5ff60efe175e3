package dev.toolformer.executor;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.toolformer.common.deadletter.DeadLetters;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.slf4j.MDC;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of one record on its virtual thread: decode, run, publish the result (and dead letter),
 * then hand the offset back to the poll thread as a {@link Completion} once the broker has the
 * outcome. Also the registry of running requests, through which they are cancelled or abandoned.
 * Thread-safe.
 */
final class RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);
    /** Cancellations remembered for requests not read yet. */
    private static final int REMEMBERED_CANCELLATIONS = 100_000;

    /** A record whose outcome the broker has acknowledged. */
    record Completion(TopicPartition partition, long epoch, long offset, String key) {
    }

    private final ExecutorConfig config;
    private final Producer<String, byte[]> producer;
    private final RequestRunner runner;
    private final ExecutorMetrics metrics;
    private final Clock clock;
    private final ExecutorService workers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight;
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final Map<String, Execution> executions = new ConcurrentHashMap<>();
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    private final Map<String, String> cancelled = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_CANCELLATIONS;
        }
    };
    private volatile boolean publishing = true;

    RequestHandler(ExecutorConfig config, Producer<String, byte[]> producer, RequestRunner runner,
                   ExecutorMetrics metrics, Clock clock, ExecutorService workers) {
        this.config = config;
        this.producer = producer;
        this.runner = runner;
        this.metrics = metrics;
        this.clock = clock;
        this.workers = workers;
        this.maxInFlight = new AtomicInteger(config.maxInFlight());
    }

    /** How many more records may start now. */
    int capacity() {
        return maxInFlight.get() - inFlight.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    /** Sets the in-flight limit (THROTTLE); running requests above it finish normally. */
    void limitInFlight(int limit) {
        maxInFlight.set(Math.max(1, Math.min(limit, config.maxInFlight())));
    }

    Queue<Completion> completions() {
        return completions;
    }

    void own(Collection<TopicPartition> partitions) {
        owned.addAll(partitions);
    }

    /** Called on the poll thread; the record runs on a worker. */
    void start(ConsumerRecord<String, byte[]> record, long epoch) {
        metrics.inFlightNow(inFlight.incrementAndGet());
        workers.execute(() -> handle(record, epoch));
    }

    /**
     * Cancels the request if it is running; otherwise remembers it, so that it finishes CANCELLED
     * without running should it be read later.
     *
     * @return true when a running request was cancelled
     */
    boolean cancel(String requestId, String reason) {
        Execution execution = executions.get(requestId);
        if (execution != null && execution.cancel(reason)) {
            return true;
        }
        synchronized (cancelled) {
            cancelled.put(requestId, reason);
        }
        return false;
    }

    /** Abandons the running requests of these partitions: they finish without publishing. */
    int abandon(Collection<TopicPartition> partitions) {
        owned.removeAll(partitions);
        int abandoned = 0;
        for (Execution execution : executions.values()) {
            if (partitions.contains(execution.partition()) && execution.abandon()) {
                abandoned++;
            }
        }
        return abandoned;
    }

    /** Stops retrying failed publications (the executor is stopping). */
    void stopPublishing() {
        publishing = false;
    }

    private void handle(ConsumerRecord<String, byte[]> record, long epoch) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Completion done = new Completion(partition, epoch, record.offset(), record.key());
        try {
            ToolRequest request;
            try {
                request = REQUESTS.decode(record.value());
            } catch (DecodeException e) {
                log.warn("Dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
                publish(List.of(deadLetter(record, DeadLetters.reasonOf(e), e.getMessage(), 0)), done);
                return;
            }
            run(record, request, partition, done);
        } catch (RuntimeException e) {
            // A bug of ours, not of the request: the record goes to the DLQ so the partition never blocks.
            log.error("Executor failed on {}-{}@{}", record.topic(), record.partition(), record.offset(), e);
            Thread.interrupted();
            publish(List.of(deadLetter(record, DeadLetterReason.INTERNAL, e.toString(), 1)), done);
        }
    }

    private void run(ConsumerRecord<String, byte[]> record, ToolRequest request, TopicPartition partition,
                     Completion done) {
        // One span per tool execution (GenAI semantic conventions), a child of the publisher's span; its
        // ids and the request's are on every log line written meanwhile.
        Span span = Tracing.tracer().spanBuilder("execute_tool " + request.getTool())
                .setParent(Tracing.extract(record.headers()))
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute("gen_ai.operation.name", "execute_tool")
                .setAttribute("gen_ai.tool.name", request.getTool())
                .setAttribute("gen_ai.system", request.getProvider())
                .setAttribute("gen_ai.request.model", request.getModel())
                .setAttribute("toolformer.request_id", request.getRequestId())
                .startSpan();
        try (Scope scope = span.makeCurrent();
             MDC.MDCCloseable r = MDC.putCloseable("request_id", request.getRequestId());
             MDC.MDCCloseable c = MDC.putCloseable("correlation_id", request.getCorrelationId());
             MDC.MDCCloseable t = MDC.putCloseable("trace_id", span.getSpanContext().getTraceId());
             MDC.MDCCloseable s = MDC.putCloseable("span_id", span.getSpanContext().getSpanId())) {
            ToolResult result = execute(record, request, partition, done);
            if (result != null) {
                span.setAttribute("toolformer.status", result.getStatus().name());
                span.setAttribute("gen_ai.usage.input_tokens", result.getInputTokens());
                span.setAttribute("gen_ai.usage.output_tokens", result.getOutputTokens());
                if (result.getStatus() != ToolStatus.SUCCESS) {
                    span.setStatus(StatusCode.ERROR, result.getStatus().name());
                }
                log.debug("Executed {} for request {}: {} after {} attempt(s)", request.getTool(),
                        request.getRequestId(), result.getStatus(), result.getAttempts());
            }
        } finally {
            span.end();
        }
    }

    /** Runs the request and publishes its result; the result, or null when it was abandoned. */
    private ToolResult execute(ConsumerRecord<String, byte[]> record, ToolRequest request, TopicPartition partition,
                               Completion done) {
        String requestId = request.getRequestId();
        Execution execution = new Execution(requestId, partition);
        executions.put(requestId, execution);
        RequestRunner.Run run;
        try {
            // Registered first, then checked: a concurrent abandon() or cancel() sees it or is seen.
            if (!owned.contains(partition)) {
                execution.abandon();
            }
            String reason;
            synchronized (cancelled) {
                reason = cancelled.remove(requestId);
            }
            if (reason != null) {
                execution.cancel(reason);
            }
            run = runner.run(request, execution);
        } finally {
            executions.remove(requestId, execution);
        }
        boolean publish = execution.finish();
        Thread.interrupted();
        if (!publish) {
            inFlight.decrementAndGet();
            return null;
        }
        ToolResult result = run.result();
        metrics.result(result);
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(2);
        // The request's headers (correlation id) travel on with its result, under this execution's span.
        Headers headers = new RecordHeaders(record.headers().toArray());
        Tracing.inject(Context.current(), headers);
        out.add(new ProducerRecord<>(Topics.RESULTS.name(), null, requestId, RESULTS.encode(result), headers));
        if (run.retriesExhausted()) {
            out.add(deadLetter(record, DeadLetterReason.RETRIES_EXHAUSTED, result.getError().getType() + ": "
                    + result.getError().getMessage(), result.getAttempts()));
        }
        publish(out, done);
        return result;
    }

    private ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> record, DeadLetterReason reason,
                                                      String detail, int attempts) {
        metrics.deadLetter(reason.name());
        DeadLetter letter = DeadLetters.of(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
                record.value(), record.headers(), reason, detail, attempts, "executor:" + config.executorId(),
                clock.instant());
        return new ProducerRecord<>(Topics.DLQ.name(), record.key(), DEAD_LETTERS.encode(letter));
    }

    /** Sends every record; the completion follows once the broker has acknowledged all of them. */
    private void publish(List<ProducerRecord<String, byte[]>> records, Completion done) {
        AtomicInteger pending = new AtomicInteger(records.size());
        AtomicBoolean settled = new AtomicBoolean();
        Runnable acknowledged = () -> {
            if (pending.decrementAndGet() == 0 && settled.compareAndSet(false, true)) {
                completions.add(done);
                inFlight.decrementAndGet();
            }
        };
        // Stopping: the offset stays uncommitted and the next owner runs the record again.
        Runnable dropped = () -> {
            if (settled.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
            }
        };
        for (ProducerRecord<String, byte[]> record : records) {
            send(record, acknowledged, dropped);
        }
    }

    private void send(ProducerRecord<String, byte[]> record, Runnable acknowledged, Runnable dropped) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acknowledged.run();
                } else if (!(error instanceof RetriableException)) {
                    // Retrying cannot help (too large, not authorised...): move on rather than block the partition.
                    log.error("Dropping a record for {}: {}", record.topic(), error.toString());
                    acknowledged.run();
                } else if (publishing) {
                    log.warn("Publishing to {} failed ({}); retrying", record.topic(), error.toString());
                    workers.execute(() -> send(record, acknowledged, dropped));
                } else {
                    dropped.run();
                }
            });
        } catch (RuntimeException e) {
            // The producer is closed or the record cannot be sent at all.
            log.warn("Cannot publish to {}: {}", record.topic(), e.toString());
            dropped.run();
        }
    }
}
