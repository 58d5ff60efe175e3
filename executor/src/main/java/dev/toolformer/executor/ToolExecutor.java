package dev.toolformer.executor;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.common.deadletter.DeadLetters;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One executor instance: a single poll thread owns the consumer of {@code toolformer.requests};
 * each record runs on its own virtual thread, far beyond the partition count, up to
 * {@code maxInFlight} at once (partitions are paused above that). A record's offset becomes
 * committable only once its result (or dead letter) is acknowledged by the broker, and commits only
 * cover contiguous completed work: a crash re-runs at most the records that were in flight.
 */
public final class ToolExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ToolExecutor.class);
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);
    private static final AvroSerde<ExecutorHeartbeat> HEARTBEATS = AvroSerde.of(ExecutorHeartbeat.class);
    private static final Duration COMMIT_INTERVAL = Duration.ofMillis(500);

    /** A record whose outcome the broker has acknowledged. */
    private record Completion(TopicPartition partition, long offset) {
    }

    private final ExecutorConfig config;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final RequestRunner runner;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService heartbeats;
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lag = new AtomicLong();
    private final int maxPollRecords;
    private final Clock clock;
    private final Counter deadLettered;
    private final MeterRegistry meters;
    private final long startedAt;
    private volatile boolean running = true;
    private volatile boolean polling;
    private volatile int pausedPartitions;
    private Thread pollThread;
    private long lastCommit;

    public ToolExecutor(ExecutorConfig config, KafkaSettings kafka, ToolRegistry tools, Pricing pricing,
                        MeterRegistry meters) {
        this.config = Objects.requireNonNull(config, "config == null");
        this.clock = Clock.systemUTC();
        this.meters = Objects.requireNonNull(meters, "meters == null");
        this.maxPollRecords = Math.min(500, config.maxInFlight());
        Map<String, Object> consumerProps = kafka.consumer(config.groupId(), config.executorId());
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        this.consumer = new KafkaConsumer<>(consumerProps);
        this.producer = new KafkaProducer<>(kafka.producer(config.executorId()));
        this.runner = new RequestRunner(tools, pricing, config, workers, clock);
        this.startedAt = clock.millis();
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name(config.executorId() + "-heartbeat").daemon().factory());
        this.deadLettered = Counter.builder("toolformer_executor_dead_letters_total")
                .description("Records sent to the dead-letter topic").register(meters);
        Gauge.builder("active_tool_executions", inFlight, AtomicInteger::get)
                .description("Number of currently executing tools").tag("tool_type", "all").register(meters);
    }

    /** Starts the poll thread and the heartbeats. */
    public synchronized void start() {
        if (pollThread != null) {
            throw new IllegalStateException("executor " + config.executorId() + " already started");
        }
        pollThread = Thread.ofPlatform().name(config.executorId() + "-poll").start(this::pollLoop);
        long every = config.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::publishHeartbeat, 0, every, TimeUnit.MILLISECONDS);
    }

    /** True once the consumer has joined its group and is polling. */
    public boolean isReady() {
        return polling && running;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public String executorId() {
        return config.executorId();
    }

    /** Stops polling, lets in-flight work finish for up to {@code drain}, commits it, and closes. */
    public void close(Duration drain) {
        running = false;
        heartbeats.shutdownNow();
        Thread thread;
        synchronized (this) {
            thread = pollThread;
        }
        if (thread != null) {
            consumer.wakeup();
            try {
                thread.join(drain.plusSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close();
        }
        workers.shutdownNow();
        producer.close(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    private void pollLoop() {
        try {
            consumer.subscribe(List.of(Topics.REQUESTS.name()), new Rebalance());
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        dispatch(record);
                    }
                    polling = true;
                    applyCompletions();
                    commitIfDue(false);
                    applyBackpressure();
                } catch (WakeupException e) {
                    // close() was called: the loop condition ends it
                }
            }
            drain(Duration.ofSeconds(10));
        } catch (KafkaException e) {
            log.error("Executor {} stopped on a Kafka error: {}", config.executorId(), e.toString(), e);
        } finally {
            polling = false;
            try {
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
            } catch (RuntimeException e) {
                log.warn("Closing the consumer failed: {}", e.toString());
            }
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        trackers.computeIfAbsent(partition, p -> new OffsetTracker()).started(record.offset());
        inFlight.incrementAndGet();
        workers.execute(() -> handle(record, partition));
    }

    /** Runs on a virtual thread: decode, run, publish; the offset completes when the broker has the outcome. */
    private void handle(ConsumerRecord<String, byte[]> record, TopicPartition partition) {
        ProducerRecord<String, byte[]> outcome;
        try {
            ToolRequest request = REQUESTS.decode(record.value());
            ToolResult result = runner.run(request);
            count(result);
            // The request's headers (correlation id, trace context) travel on with its result.
            outcome = new ProducerRecord<>(Topics.RESULTS.name(), null, result.getRequestId(),
                    RESULTS.encode(result), record.headers());
        } catch (DecodeException e) {
            log.warn("Dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            DeadLetter letter = DeadLetters.of(record.topic(), record.partition(), record.offset(),
                    record.key() == null ? null : record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    record.value(), record.headers(), DeadLetters.reasonOf(e), e.getMessage(), 0,
                    "executor:" + config.executorId(), clock.instant());
            outcome = new ProducerRecord<>(Topics.DLQ.name(), record.key(), DEAD_LETTERS.encode(letter));
            deadLettered.increment();
        } catch (RuntimeException e) {
            // A bug of ours, not of the request: leave the offset uncommitted so the record runs again.
            log.error("Executor failed on {}-{}@{}; the record stays uncommitted", record.topic(),
                    record.partition(), record.offset(), e);
            inFlight.decrementAndGet();
            return;
        }
        send(outcome, new Completion(partition, record.offset()));
    }

    private void send(ProducerRecord<String, byte[]> outcome, Completion completion) {
        producer.send(outcome, (metadata, error) -> {
            if (error == null) {
                completions.add(completion);
                inFlight.decrementAndGet();
            } else if (running) {
                log.warn("Publishing to {} failed ({}); retrying", outcome.topic(), error.toString());
                workers.execute(() -> send(outcome, completion));
            } else {
                inFlight.decrementAndGet();
            }
        });
    }

    private void count(ToolResult result) {
        meters.counter("orchestrator_requests_total", "method", result.getTool(), "provider",
                result.getProvider(), "status", result.getStatus().name().toLowerCase()).increment();
    }

    private void applyCompletions() {
        for (Completion c; (c = completions.poll()) != null; ) {
            OffsetTracker tracker = trackers.get(c.partition());
            if (tracker != null) {
                tracker.completed(c.offset());
            }
        }
    }

    private void commitIfDue(boolean sync) {
        long now = System.currentTimeMillis();
        if (!sync && now - lastCommit < COMMIT_INTERVAL.toMillis()) {
            return;
        }
        lastCommit = now;
        commit(trackers.keySet(), sync);
        updateLag();
    }

    private void commit(Collection<TopicPartition> partitions, boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetTracker tracker = trackers.get(partition);
            long next = tracker == null ? -1 : tracker.committable();
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
                tracker.committed(next);
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, (o, e) -> {
                if (e != null) {
                    log.warn("Commit of {} failed: {}", o, e.toString());
                }
            });
        }
    }

    /** Pauses every partition when another full poll could exceed maxInFlight; resumes below it. */
    private void applyBackpressure() {
        var assignment = consumer.assignment();
        if (inFlight.get() + maxPollRecords > config.maxInFlight()) {
            if (pausedPartitions < assignment.size()) {
                consumer.pause(assignment);
                pausedPartitions = assignment.size();
            }
        } else if (pausedPartitions > 0) {
            consumer.resume(consumer.paused());
            pausedPartitions = 0;
        }
    }

    private void drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            applyCompletions();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        applyCompletions();
        try {
            commit(trackers.keySet(), true);
        } catch (KafkaException e) {
            log.warn("Final commit failed: {}", e.toString());
        }
        if (inFlight.get() > 0) {
            log.warn("Executor {} stopped with {} requests in flight; they will run again on the next owner",
                    config.executorId(), inFlight.get());
        }
    }

    private void updateLag() {
        long total = 0;
        for (TopicPartition partition : consumer.assignment()) {
            total += consumer.currentLag(partition).orElse(0);
        }
        lag.set(total);
    }

    private void publishHeartbeat() {
        try {
            Runtime rt = Runtime.getRuntime();
            double cpu = ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuLoad() * 100) : 0;
            ExecutorHeartbeat beat = ExecutorHeartbeat.newBuilder()
                    .setExecutorId(config.executorId())
                    .setHost(hostName())
                    .setSentAt(clock.instant())
                    .setStartedAt(java.time.Instant.ofEpochMilli(startedAt))
                    .setHeapUsedBytes(rt.totalMemory() - rt.freeMemory())
                    .setHeapMaxBytes(rt.maxMemory())
                    .setCpuPercent(cpu)
                    .setInFlight(inFlight.get())
                    .setMaxInFlight(config.maxInFlight())
                    .setConsumerLag(lag.get())
                    .setPausedPartitions(pausedPartitions)
                    .setVersion(String.valueOf(ToolExecutor.class.getPackage().getImplementationVersion()))
                    .build();
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS.name(), config.executorId(), HEARTBEATS.encode(beat)));
        } catch (RuntimeException e) {
            log.warn("Heartbeat failed: {}", e.toString());
        }
    }

    private static String hostName() {
        String host = System.getenv("HOSTNAME");
        return host == null ? "localhost" : host;
    }

    /** Commits completed work of partitions leaving this instance; forgets lost ones without committing. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            applyCompletions();
            try {
                commit(partitions, true);
            } catch (KafkaException e) {
                log.warn("Commit on revocation failed: {}", e.toString());
            }
            partitions.forEach(trackers::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            pausedPartitions = 0;
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(trackers::remove);
        }
    }
}
