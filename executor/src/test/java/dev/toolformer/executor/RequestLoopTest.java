package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ToolRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The poll loop against Kafka's {@link MockConsumer} and {@link MockProducer}: what it commits when a rebalance
 * takes a partition away and when it stops — only past work whose result was sent, contiguously from the last
 * commit, so a request running at the time is never skipped by its next owner.
 */
@Timeout(60)
class RequestLoopTest {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final TopicPartition P0 = new TopicPartition(Topics.REQUESTS.name(), 0);
    private static final TopicPartition P1 = new TopicPartition(Topics.REQUESTS.name(), 1);

    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    /** What the loop committed, readable after it closed the consumer. */
    private final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitSync(offsets);
            offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            super.commitAsync(offsets, callback);
            offsets.forEach((partition, offset) -> commits.put(partition, offset.offset()));
        }
    };
    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    private final CountDownLatch gate = new CountDownLatch(1);
    private final List<KafkaException> failures = new CopyOnWriteArrayList<>();
    private RequestLoop loop;
    private Thread thread;

    @AfterEach
    void stop() throws InterruptedException {
        gate.countDown();
        if (loop != null) {
            loop.stop(Duration.ofSeconds(1));
            thread.join(Duration.ofSeconds(20));
        }
        workers.shutdownNow();
    }

    @Test
    void shouldCommitCompletedWorkOfARevokedPartitionAndNotPastWorkStillRunning() throws InterruptedException {
        start(TestTools.config().revocationDrain(Duration.ofMillis(200)));
        // P0: two quick calls, one that blocks until the test opens the gate, two more quick ones.
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            addRecords(P0, "echo", "echo", "gate", "echo", "echo");
            addRecords(P1, "echo", "echo", "echo");
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 7);

        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P1)));

        // Offset 2 still runs when the drain time is up: the commit stops before it, whatever completed after it.
        await().atMost(Duration.ofSeconds(20)).until(() -> committed(P0).orElse(-1L) == 2L);
        await().atMost(Duration.ofSeconds(20)).until(() -> !consumer.assignment().contains(P0));
        Thread.sleep(1_500); // past the commit interval: nothing more is committed for the partition given up
        assertThat(committed(P0)).hasValue(2L);
        assertThat(failures).isEmpty();
        // The partition still owned keeps working and commits everything at its next commit.
        await().atMost(Duration.ofSeconds(20)).until(() -> committed(P1).orElse(0L) == 3L);
    }

    @Test
    void shouldLetRunningWorkFinishAndCommitItWhenStopped() throws InterruptedException {
        start(TestTools.config());
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            addRecords(P0, "echo", "gate", "echo");
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);

        Thread stopper = Thread.ofPlatform().start(() -> loop.stop(Duration.ofSeconds(10)));
        Thread.sleep(300);
        gate.countDown();
        stopper.join();
        thread.join(Duration.ofSeconds(20));

        assertThat(thread.isAlive()).isFalse();
        assertThat(producer.history()).hasSize(3);
        assertThat(committed(P0)).hasValue(3L);
        assertThat(consumer.closed()).isTrue();
        loop = null;
    }

    @Test
    void shouldKeepPollingAndCommitAfterATransientPollError() {
        start(TestTools.config());
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            addRecords(P0, "gate");
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> loop.joined());

        consumer.schedulePollTask(() -> consumer.setPollException(new KafkaException("poll failed once")));
        gate.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 1);
        // A transient poll error does not stop the loop: the result is committed at the next interval.
        await().atMost(Duration.ofSeconds(20)).until(() -> committed(P0).orElse(0L) == 1L);
        assertThat(failures).isEmpty();
    }

    private void start(ExecutorConfig.Builder builder) {
        ExecutorConfig config = builder.build();
        ExecutorMetrics metrics = new ExecutorMetrics(new SimpleMeterRegistry(), config.executorId());
        Tool blocking = TestTools.tool("gate", call -> {
            gate.await();
            return ToolOutput.of("{}");
        });
        RequestRunner runner = new RequestRunner(ToolRegistry.of(List.of(new EchoTool(), blocking)),
                Pricing.defaults(), config, workers, Clock.systemUTC(), new Resilience(config, metrics), metrics);
        RequestHandler handler = new RequestHandler(config, producer, runner, metrics, Clock.systemUTC(), workers,
                RecordBudget.of(Map.of()), (topic, error) -> failures.add(error));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        loop = new RequestLoop(config, consumer, handler, failures::add);
        thread = Thread.ofPlatform().name("request-loop-test").start(loop);
    }

    private void addRecords(TopicPartition partition, String... tools) {
        for (int offset = 0; offset < tools.length; offset++) {
            ToolRequest request = request(tools[offset], "{}").build();
            byte[] value = REQUESTS.encode(request);
            consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, 0L,
                    TimestampType.CREATE_TIME, request.getRequestId().length(), value.length, request.getRequestId(),
                    value, new RecordHeaders(), Optional.empty()));
        }
    }

    private Optional<Long> committed(TopicPartition partition) {
        return Optional.ofNullable(commits.get(partition));
    }
}
