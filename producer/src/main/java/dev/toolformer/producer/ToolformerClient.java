package dev.toolformer.producer;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.kafkaclients.v2_6.KafkaTelemetry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes tool-call requests, awaits their results and reports the outcomes of speculative ones.
 * Results are correlated by request_id: the client reads every partition of {@code toolformer.results}
 * from the moment it was created (no consumer group, so any number of clients each see every result).
 * Thread-safe. A cluster that refuses the client (credentials, ACLs) fails the constructor or the publish
 * with a {@link KafkaAccessException} that says what to check.
 *
 * <p>Tracing is the application's: each publish is a {@code PRODUCER} span ({@code <topic> publish}, the
 * {@code messaging.*} attributes, a child of the caller's current span) of the OpenTelemetry the application gives,
 * or of {@code GlobalOpenTelemetry} (its SDK, or the Java agent's); its context travels in the record's headers,
 * so the request's execution and result join the agent's trace. Without an SDK nothing is traced.
 */
public final class ToolformerClient implements AutoCloseable {
    /** Record header carrying the request's correlation id (also in the value). */
    public static final String CORRELATION_ID_HEADER = "correlation_id";

    private static final Logger log = LoggerFactory.getLogger(ToolformerClient.class);
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<SpeculationOutcome> OUTCOMES = AvroSerde.of(SpeculationOutcome.class);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaSettings kafka;
    private final Producer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> resultsConsumer;
    private final Map<String, CompletableFuture<ToolResult>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<ToolResult>> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch resultsReady = new CountDownLatch(1);
    private final Thread resultsThread;
    private final Clock clock;
    private volatile boolean closed;
    private volatile RuntimeException readerFailure;

    public ToolformerClient(KafkaSettings kafka) {
        this(kafka, Clock.systemUTC());
    }

    /** A client whose requests' {@code submitted_at} reads {@code clock} (a test's, or an agent's own). */
    public ToolformerClient(KafkaSettings kafka, Clock clock) {
        this(kafka, clock, Tracing.openTelemetry());
    }

    /** A client tracing its publishes with {@code openTelemetry} (the application's own, rather than the global one). */
    public ToolformerClient(KafkaSettings kafka, Clock clock, OpenTelemetry openTelemetry) {
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
        Objects.requireNonNull(openTelemetry, "openTelemetry == null");
        String clientId = "toolformer-client-" + UUID.randomUUID();
        this.producer = KafkaTelemetry.create(openTelemetry).wrap(new KafkaProducer<>(kafka.producer(clientId)));
        this.resultsConsumer = new KafkaConsumer<>(kafka.consumer(null, clientId + "-results"));
        this.resultsThread = Thread.ofPlatform().name(clientId + "-results").daemon().start(this::readResults);
        awaitResultsReader();
    }

    /** A new request with a random request_id and correlation_id, submitted now. */
    public ToolRequest.Builder newRequest(String tool, String argumentsJson, Duration timeout) {
        Objects.requireNonNull(tool, "tool == null");
        Objects.requireNonNull(argumentsJson, "argumentsJson == null");
        Objects.requireNonNull(timeout, "timeout == null");
        String id = UUID.randomUUID().toString();
        return ToolRequest.newBuilder()
                .setRequestId(id)
                .setCorrelationId(id)
                .setTool(tool)
                .setArgumentsJson(argumentsJson)
                .setTimeoutMs(timeout.toMillis())
                .setSubmittedAt(clock.instant());
    }

    /** Publishes {@code request}; completes when the broker has it (acks=all). */
    public CompletableFuture<RecordMetadata> publish(ToolRequest request) {
        Objects.requireNonNull(request, "request == null");
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                Topics.REQUESTS.name(), request.getRequestId(), REQUESTS.encode(request));
        return send(record, request.getCorrelationId());
    }

    /**
     * Reports whether the agent used the result of speculative request {@code requestId} ({@code used}: a hit)
     * or discarded it (a miss), and why ({@code reason}, empty if none): publishes a {@code SpeculationOutcome}
     * decided now, keyed by the request id, to {@code toolformer.speculation-outcomes}, where analytics joins it
     * with the request's result into speculation accuracy and wasted cost. The {@code correlation_id} header is
     * the request id, which is the request's correlation id unless the caller set another one; see
     * {@link #reportOutcome(ToolResult, boolean, String)}. Completes when the broker has it (acks=all).
     */
    public CompletableFuture<RecordMetadata> reportOutcome(String requestId, boolean used, String reason) {
        Objects.requireNonNull(requestId, "requestId == null");
        return reportOutcome(requestId, requestId, used, reason);
    }

    /**
     * Like {@link #reportOutcome(String, boolean, String)}, for the request of {@code result}, with the
     * result's correlation id in the {@code correlation_id} header.
     */
    public CompletableFuture<RecordMetadata> reportOutcome(ToolResult result, boolean used, String reason) {
        Objects.requireNonNull(result, "result == null");
        return reportOutcome(result.getRequestId(), result.getCorrelationId(), used, reason);
    }

    private CompletableFuture<RecordMetadata> reportOutcome(String requestId, String correlationId, boolean used,
                                                            String reason) {
        Objects.requireNonNull(reason, "reason == null");
        SpeculationOutcome outcome = SpeculationOutcome.newBuilder()
                .setRequestId(requestId)
                .setUsed(used)
                .setDecidedAt(clock.instant())
                .setReason(reason)
                .build();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                Topics.SPECULATION_OUTCOMES.name(), requestId, OUTCOMES.encode(outcome));
        return send(record, correlationId);
    }

    /** Sends {@code record} with its correlation id (and, by the traced producer, its publish span's context). */
    private CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record, String correlationId) {
        record.headers().add(CORRELATION_ID_HEADER, correlationId.getBytes(StandardCharsets.UTF_8));
        CompletableFuture<RecordMetadata> sent = new CompletableFuture<>();
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                sent.completeExceptionally(KafkaAccessException.from(error, "cannot publish to " + record.topic(), kafka)
                        .<Exception>map(e -> e).orElse(error));
            } else {
                sent.complete(metadata);
            }
        });
        return sent;
    }

    /**
     * Publishes {@code request} and completes with its result, or exceptionally with a
     * {@link TimeoutException} when none arrives within {@code wait}.
     */
    public CompletableFuture<ToolResult> submit(ToolRequest request, Duration wait) {
        CompletableFuture<ToolResult> result = new CompletableFuture<>();
        pending.put(request.getRequestId(), result);
        publish(request).whenComplete((metadata, error) -> {
            if (error != null) {
                pending.remove(request.getRequestId());
                result.completeExceptionally(error);
            }
        });
        return result.orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> pending.remove(request.getRequestId()));
    }

    /**
     * Adds {@code listener}, called on the client's reader thread for every result read from now on, after the
     * listeners added before it (a failing listener does not stop the others). Every result of the topic is
     * delivered, not only those of this client's requests.
     */
    public void onResult(Consumer<ToolResult> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener == null"));
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        producer.close(Duration.ofSeconds(10));
        resultsConsumer.wakeup();
        try {
            resultsThread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitResultsReader() {
        String doing = "cannot read " + Topics.RESULTS.name();
        try {
            // Longer than the reader's own metadata timeout, so that its error, the clearer one, comes first.
            if (!resultsReady.await(METADATA_TIMEOUT.toSeconds() + 15, TimeUnit.SECONDS)) {
                close();
                throw new IllegalStateException(doing + " within " + (METADATA_TIMEOUT.toSeconds() + 15) + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the client", e);
        }
        RuntimeException failed = readerFailure;
        if (failed != null) {
            close();
            throw KafkaAccessException.from(failed, doing, kafka).<RuntimeException>map(e -> e)
                    .orElseGet(() -> new IllegalStateException(doing + " from " + kafka.bootstrapServers() + ": "
                            + failed.getMessage(), failed));
        }
    }

    private void readResults() {
        try (resultsConsumer) {
            List<TopicPartition> partitions = resultsConsumer.partitionsFor(Topics.RESULTS.name(), METADATA_TIMEOUT)
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            resultsConsumer.assign(partitions);
            resultsConsumer.seekToEnd(partitions);
            partitions.forEach(resultsConsumer::position); // resolve the end offsets now, before any request is sent
            resultsReady.countDown();
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record : resultsConsumer.poll(Duration.ofMillis(500))) {
                    deliver(record);
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                log.error("Results reader woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            if (resultsReady.getCount() > 0) {
                // Not started: the constructor reports it.
                readerFailure = e;
                resultsReady.countDown();
            } else {
                log.error("Results reader stopped: {}", e.toString(), e);
            }
        }
    }

    private void deliver(ConsumerRecord<String, byte[]> record) {
        ToolResult result;
        try {
            result = RESULTS.decode(record.value());
        } catch (DecodeException e) {
            log.warn("Skipping undecodable result at {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            return;
        }
        CompletableFuture<ToolResult> future = pending.remove(result.getRequestId());
        if (future != null) {
            future.complete(result);
        }
        for (Consumer<ToolResult> listener : listeners) {
            try {
                listener.accept(result);
            } catch (RuntimeException e) {
                log.warn("Result listener failed: {}", e.toString());
            }
        }
    }
}
