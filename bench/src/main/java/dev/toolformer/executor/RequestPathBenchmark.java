package dev.toolformer.executor;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ToolRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The executor's whole path for one {@code echo} request, as the pipeline profile sees it on its virtual threads:
 * {@link RequestHandler#start} on a consumed record (decode, trace context, span, validation, the tool, metrics,
 * the result encoded and measured, the traced send) until its completion is queued for the poll thread. The
 * producer is Kafka's {@link MockProducer}, which acknowledges each send at once: the broker and the network are not
 * in the figure. Tracing as {@code toolformer executor} runs it: an SDK sampling a tenth of the traces
 * ({@code traced=true}; one request in ten arrives in a sampled trace), or none at all. Per request, in batches of
 * {@value #BATCH} started together on virtual threads (the poll thread's pattern).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestPathBenchmark {
    static final int BATCH = 1_000;
    private static final TopicPartition PARTITION = new TopicPartition(Topics.REQUESTS.name(), 0);

    @Param({"true", "false"})
    public boolean traced;

    private final ConsumerRecord<String, byte[]>[] records = newRecords();
    private ExecutorService workers;
    private MockProducer<String, byte[]> producer;
    private RequestHandler handler;

    @SuppressWarnings("unchecked")
    private static ConsumerRecord<String, byte[]>[] newRecords() {
        return new ConsumerRecord[BATCH];
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (traced) {
            TestTracing.install(0.1, null);
        } else {
            TestTracing.reset();
        }
        workers = Executors.newVirtualThreadPerTaskExecutor(); // as ToolExecutor's
        producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        ExecutorConfig config = ExecutorConfig.builder("bench").build();
        ExecutorMetrics metrics = new ExecutorMetrics(new SimpleMeterRegistry(), config.executorId());
        RequestRunner runner = new RequestRunner(ToolRegistry.of(List.of(new EchoTool())), Pricing.defaults(), config,
                workers, Clock.systemUTC(), new Resilience(config, metrics), metrics);
        handler = new RequestHandler(config, Tracing.traced(producer), runner, metrics, Clock.systemUTC(), workers,
                RecordBudget.ofMaxRequestSize(RecordBudget.DEFAULT_MAX_REQUEST_SIZE), (topic, error) -> {
                    throw new IllegalStateException("send failed for good: " + error);
                });
        handler.own(List.of(PARTITION));
        AvroSerde<ToolRequest> serde = AvroSerde.of(ToolRequest.class);
        Instant now = Instant.now();
        for (int i = 0; i < BATCH; i++) {
            String id = UUID.randomUUID().toString();
            ToolRequest request = ToolRequest.newBuilder().setRequestId(id).setCorrelationId(id).setTool("echo")
                    .setArgumentsJson("{\"message\":\"ping " + i + "\"}").setTimeoutMs(Duration.ofHours(1).toMillis())
                    .setSubmittedAt(now).setProvider("local").setModel("none").build();
            byte[] value = serde.encode(request);
            RecordHeaders headers = new RecordHeaders();
            headers.add("correlation_id", id.getBytes(StandardCharsets.UTF_8));
            // What the client's traced producer sends: a trace context, sampled in one trace of ten.
            String traceId = UUID.randomUUID().toString().replace("-", "");
            String flags = i % 10 == 0 ? "-01" : "-00";
            headers.add("traceparent", ("00-" + traceId + "-" + traceId.substring(0, 16) + flags)
                    .getBytes(StandardCharsets.UTF_8));
            records[i] = new ConsumerRecord<>(PARTITION.topic(), PARTITION.partition(), i, now.toEpochMilli(),
                    TimestampType.CREATE_TIME, id.length(), value.length, id, value, headers, Optional.empty());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        workers.close();
        TestTracing.reset();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int echoRequests() {
        for (ConsumerRecord<String, byte[]> record : records) {
            handler.start(record, 1);
        }
        int done = 0;
        while (done < BATCH) {
            if (handler.completions().poll() != null) {
                done++;
            } else {
                Thread.onSpinWait();
            }
        }
        producer.clear(); // the mock keeps every record sent
        return done;
    }
}
