package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.executor.tools.SimulatedTool;
import dev.toolformer.schema.ToolRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What happens to a finished record whose outcome the broker has not acknowledged, with a
 * {@link MockProducer} that answers each send when the test says so.
 */
class RequestHandlerTest {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final TopicPartition PARTITION = new TopicPartition(Topics.REQUESTS.name(), 0);

    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(),
            new ByteArraySerializer());
    private final List<String> fatal = new CopyOnWriteArrayList<>();
    private final RequestHandler handler;

    RequestHandlerTest() {
        ExecutorConfig config = TestTools.config().build();
        ExecutorMetrics metrics = new ExecutorMetrics(new SimpleMeterRegistry(), config.executorId());
        RequestRunner runner = new RequestRunner(ToolRegistry.of(List.of(new EchoTool(), new SimulatedTool())), Pricing.defaults(), config,
                workers, Clock.systemUTC(), new Resilience(config, metrics), metrics);
        handler = new RequestHandler(config, producer, runner, metrics, Clock.systemUTC(), workers,
                RecordBudget.of(Map.of()), (topic, error) -> fatal.add(topic + ": " + error.getMessage()));
        handler.own(List.of(PARTITION));
    }

    @AfterEach
    void stopWorkers() {
        workers.shutdownNow();
    }

    @Test
    void shouldStopRetryingAPendingResultOnceItsPartitionIsRevoked() {
        handler.start(record(0), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);

        handler.abandon(List.of(PARTITION));
        assertThat(producer.errorNext(new TimeoutException("delivery timed out"))).isTrue();

        // The next owner runs the record again; this instance must neither re-send it nor call it done.
        await().atMost(Duration.ofSeconds(10)).until(() -> handler.limit().inFlight() == 0);
        assertThat(producer.history()).hasSize(1);
        assertThat(handler.completions()).isEmpty();
        assertThat(handler.limit().inFlightBytes()).isZero();
    }

    @Test
    void shouldRetryAPendingResultOfAPartitionItStillOwns() {
        handler.start(record(0), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);

        assertThat(producer.errorNext(new TimeoutException("delivery timed out"))).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 2);
        assertThat(producer.completeNext()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> handler.completions().size() == 1);
        assertThat(handler.limit().inFlight()).isZero();
    }

    @Test
    void shouldNeverReportARecordDoneWhoseResultTheBrokerRefusedForGood() {
        handler.start(record(0), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);

        assertThat(producer.errorNext(new TopicAuthorizationException("Not authorized to access topics: ["
                + Topics.RESULTS.name() + "]"))).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> !fatal.isEmpty());
        assertThat(fatal).containsExactly(Topics.RESULTS.name() + ": Not authorized to access topics: ["
                + Topics.RESULTS.name() + "]");
        assertThat(handler.completions()).isEmpty();
        assertThat(handler.limit().inFlight()).isZero();
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void shouldAdmitARecordLargerThanTheByteBudgetOnlyWhenNothingElseRuns() {
        ExecutorConfig config = TestTools.config().maxInFlightBytes(1_000).build();
        ExecutorMetrics metrics = new ExecutorMetrics(new SimpleMeterRegistry(), config.executorId());
        RequestHandler small = new RequestHandler(config, producer, new RequestRunner(ToolRegistry.of(List.of(
                new EchoTool())), Pricing.defaults(), config, workers, Clock.systemUTC(), new Resilience(config, metrics),
                metrics), metrics, Clock.systemUTC(), workers, RecordBudget.of(Map.of()), (topic, error) -> { });
        small.own(List.of(PARTITION));
        ConsumerRecord<String, byte[]> large = record(0, 5_000);

        assertThat(small.limit().admits(large)).isTrue();
        small.start(large, 1);
        assertThat(small.limit().admits(record(1))).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
        producer.completeNext();
        await().atMost(Duration.ofSeconds(10)).until(() -> small.limit().inFlightBytes() == 0);
        assertThat(small.limit().admits(record(1))).isTrue();
    }

    @Test
    void shouldLogTheStructuredEventsOfEachExecution() {
        Logger events = (Logger) LoggerFactory.getLogger(ToolEvents.LOGGER);
        ListAppender<ILoggingEvent> appender = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent event) {
                event.prepareForDeferredProcessing(); // the logging thread's MDC, taken now
                super.append(event);
            }
        };
        appender.start();
        events.addAppender(appender);
        Level configured = events.getLevel();
        events.setLevel(Level.INFO);
        ToolRequest ok = request("echo", "{}").setProvider("local").setModel("none").build();
        ToolRequest missing = request("no-such-tool", "{}").setProvider("local").setModel("none").build();
        // An async tool's request ends on another thread after its wait: its event still carries its log context.
        ToolRequest waited = request("simulated", "{\"latency_ms\":100}").setProvider("local").setModel("none").build();
        try {
            handler.start(record(0, ok), 1);
            handler.start(record(1, missing), 1);
            handler.start(record(2, waited), 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> appender.list.size() == 6);
        } finally {
            events.detachAppender(appender);
            events.setLevel(configured);
        }

        Map<String, Map<String, Object>> byEvent = new HashMap<>();
        for (ILoggingEvent e : appender.list) {
            Map<String, Object> fields = new HashMap<>();
            e.getKeyValuePairs().forEach(kv -> fields.put(kv.key, kv.value));
            fields.put("level", e.getLevel().toString());
            fields.put("message", e.getFormattedMessage());
            byEvent.put(fields.get("event") + " " + fields.get("tool"), fields);
        }
        assertThat(byEvent).containsOnlyKeys("tool_execution_started echo", "tool_execution_completed echo",
                "tool_execution_started no-such-tool", "tool_execution_failed no-such-tool",
                "tool_execution_started simulated", "tool_execution_completed simulated");
        ILoggingEvent started = appender.list.stream().filter(e -> e.getFormattedMessage().contains("started: simulated"))
                .findFirst().orElseThrow();
        ILoggingEvent completed = appender.list.stream()
                .filter(e -> e.getFormattedMessage().contains("completed: simulated")).findFirst().orElseThrow();
        assertThat(completed.getThreadName()).isNotEqualTo(started.getThreadName());
        assertThat(completed.getMDCPropertyMap()).containsEntry("request_id", waited.getRequestId())
                .containsEntry("correlation_id", waited.getCorrelationId()).containsKeys("trace_id", "span_id")
                .isEqualTo(started.getMDCPropertyMap());
        assertThat(byEvent.get("tool_execution_completed echo")).containsEntry("status", "SUCCESS")
                .containsEntry("provider", "local").containsEntry("model", "none").containsEntry("level", "INFO")
                .containsKeys("duration_ms", "attempts").doesNotContainKey("error");
        assertThat(byEvent.get("tool_execution_failed no-such-tool")).containsEntry("status", "REJECTED")
                .containsEntry("level", "WARN").containsEntry("error_type", "UnknownTool")
                .containsKeys("duration_ms", "error");
        assertThat((String) byEvent.get("tool_execution_failed no-such-tool").get("message"))
                .contains(missing.getRequestId());
    }

    private static ConsumerRecord<String, byte[]> record(long offset, ToolRequest request) {
        byte[] value = REQUESTS.encode(request);
        return new ConsumerRecord<>(PARTITION.topic(), PARTITION.partition(), offset, 0L,
                TimestampType.CREATE_TIME, request.getRequestId().length(), value.length,
                request.getRequestId(), value, new RecordHeaders(), Optional.empty());
    }

    private static ConsumerRecord<String, byte[]> record(long offset) {
        return record(offset, 0);
    }

    private static ConsumerRecord<String, byte[]> record(long offset, int padding) {
        return record(offset, request("echo", "{\"pad\":\"" + "p".repeat(padding) + "\"}").build());
    }
}
