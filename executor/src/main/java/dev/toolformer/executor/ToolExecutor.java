package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.service.Service;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;

/**
 * One executor instance. A single poll thread owns the consumer of {@code toolformer.requests}; each
 * record runs on its own virtual thread, far beyond the partition count, never more than
 * {@code maxInFlight} at once. A record's offset becomes committable only once its result (or dead
 * letter) is acknowledged by the broker, and commits only cover contiguous completed work: a crash
 * re-runs at most the records read since the last commit. A second thread follows
 * {@code toolformer.control} and {@code toolformer.speculation-outcomes}; a third publishes heartbeats.
 * An error no retry fixes (the cluster refuses the credentials, an ACL is missing, also one that refuses
 * a result or a dead letter, whose record then stays uncommitted) stops the poll thread and is reported
 * by {@link #failure()}.
 */
public final class ToolExecutor implements Service {
    private final ExecutorConfig config;
    private final KafkaProducer<String, byte[]> producer;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timers;
    private final ExecutorMetrics metrics;
    private final RequestHandler handler;
    private final RequestLoop loop;
    private final ControlListener control;
    private volatile boolean closing;
    private final HeartbeatPublisher heartbeat;
    private final List<KafkaClientMetrics> clientMetrics;
    private final KafkaSettings kafka;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private Thread pollThread;
    private Thread controlThread;

    public ToolExecutor(ExecutorConfig config, KafkaSettings kafka, ToolRegistry tools, Pricing pricing,
                        MeterRegistry meters) {
        this(config, kafka, tools, pricing, meters, Clock.systemUTC());
    }

    /**
     * An executor whose results, heartbeats and deadlines read {@code clock}: a test can run minutes of event
     * time in seconds with a clock that runs faster than the wall (breakers and rate limits keep wall time).
     */
    public ToolExecutor(ExecutorConfig config, KafkaSettings kafka, ToolRegistry tools, Pricing pricing,
                        MeterRegistry meters, Clock clock) {
        this.config = Objects.requireNonNull(config, "config == null");
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        Objects.requireNonNull(tools, "tools == null");
        Objects.requireNonNull(pricing, "pricing == null");
        Objects.requireNonNull(meters, "meters == null");
        Objects.requireNonNull(clock, "clock == null");
        this.metrics = new ExecutorMetrics(meters, config.executorId());
        tools.names().forEach(metrics::declareTool);
        this.timers = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name(config.executorId() + "-timers").daemon().factory());
        this.producer = new KafkaProducer<>(kafka.producer(config.executorId()));
        Resilience resilience = new Resilience(config, metrics);
        RequestRunner runner = new RequestRunner(tools, pricing, config, workers, clock, resilience, metrics);
        // Results and dead letters are publish spans of the request's trace; heartbeats belong to none.
        this.handler = new RequestHandler(config, Tracing.traced(producer), runner, metrics, clock, workers,
                RecordBudget.of(kafka.producer(config.executorId())), this::stopOnFatalSend);
        KafkaConsumer<String, byte[]> requests = new KafkaConsumer<>(requestConsumer(kafka, config));
        this.loop = new RequestLoop(config, requests, handler, e -> fail(Topics.REQUESTS.name(), e));
        // Kafka's own client metrics (consumer lag, fetch and send rates) next to ours.
        this.clientMetrics = List.of(new KafkaClientMetrics(requests), new KafkaClientMetrics(producer));
        clientMetrics.forEach(m -> m.bindTo(meters));
        this.control = new ControlListener(new KafkaConsumer<>(kafka.consumer(null, config.executorId() + "-control")),
                new ControlHandler(config, resilience, handler, metrics, clock, timers), config.controlReplay(),
                e -> fail(Topics.CONTROL.name() + " and " + Topics.SPECULATION_OUTCOMES.name(), e));
        this.heartbeat = new HeartbeatPublisher(config.executorId(), producer, this::stats, loop::lag, clock);
        metrics.bindInstance(handler.limit()::inFlight, handler.limit()::inFlightBytes, handler.limit()::maxInFlight,
                loop::pausedPartitions);
    }

    private static Map<String, Object> requestConsumer(KafkaSettings kafka, ExecutorConfig config) {
        Map<String, Object> props = kafka.consumer(config.groupId(), config.executorId());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(500, config.maxInFlight()));
        // Only partitions that move are revoked, so a rebalance does not drain the whole instance.
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        return props;
    }

    /** Starts the poll thread, the control listener and the heartbeats. */
    @Override
    public synchronized void start() {
        if (pollThread != null) {
            throw new IllegalStateException("executor " + config.executorId() + " already started");
        }
        controlThread = Thread.ofPlatform().name(config.executorId() + "-control").start(control);
        pollThread = Thread.ofPlatform().name(config.executorId() + "-poll").start(loop);
        timers.scheduleAtFixedRate(heartbeat, 0, config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True once the consumer has joined its group and the control listener follows its topics. */
    @Override
    public boolean isReady() {
        return loop.joined() && control.ready();
    }

    /**
     * The error that stopped this executor early, described for an operator (for a refusal: what it could
     * not read and whose ACLs or credentials to check); empty while it runs as it should.
     */
    @Override
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Why this executor is stuck: its poll loop has not come round for longer than {@code executor.liveness-timeout}
     * (a hung call, a deadlock), or its poll thread ended while nobody stopped it and no failure says why. Empty
     * before start, while closing and after a failure ({@link #failure()} reports that).
     */
    @Override
    public Optional<String> stalled() {
        Thread poll;
        synchronized (this) {
            poll = pollThread;
        }
        if (poll == null || closing || failure.get() != null) {
            return Optional.empty();
        }
        if (!poll.isAlive()) {
            return Optional.of("the poll thread of executor " + config.executorId() + " ended");
        }
        return loop.sinceProgress().filter(d -> d.compareTo(config.livenessTimeout()) > 0)
                .map(d -> "the poll loop of executor " + config.executorId() + " has made no progress for "
                        + d.toSeconds() + " s (executor.liveness-timeout " + config.livenessTimeout().toSeconds()
                        + " s)");
    }

    /** Test hook: see {@link RequestLoop#stallForTest}. */
    void stallPollLoopForTest(CountDownLatch release) {
        loop.stallForTest(release);
    }

    private void fail(String topics, KafkaException error) {
        failDoing("executor " + config.executorId() + " cannot read " + topics, error);
    }

    /**
     * A send no retry fixes (an ACL refusing {@code topic}, ...): the record it was for stays uncommitted, and
     * this executor stops, reporting why through {@link #failure()}, rather than run on and report records
     * done whose outcome the broker never had.
     */
    private void stopOnFatalSend(String topic, KafkaException error) {
        failDoing("executor " + config.executorId() + " cannot write to " + topic, error);
        loop.stop(config.revocationDrain());
    }

    private void failDoing(String doing, KafkaException error) {
        failure.compareAndSet(null, KafkaAccessException.from(error, doing, kafka)
                .<RuntimeException>map(e -> e)
                .orElseGet(() -> new IllegalStateException(doing + ": " + error.getMessage(), error)));
    }

    /** The most bytes of request records this instance has held in flight at once. */
    long peakInFlightBytesForTest() {
        return handler.limit().peakInFlightBytes();
    }

    /** Requests started and not yet finished. */
    public int inFlight() {
        return handler.limit().inFlight();
    }

    public String executorId() {
        return config.executorId();
    }

    public ExecutorConfig config() {
        return config;
    }

    /** This instance's figures since it started. */
    public ExecutorStats stats() {
        return metrics.stats(handler.limit().inFlight(), handler.limit().maxInFlight(), loop.pausedPartitions(), loop.queued());
    }

    /**
     * Stops reading, lets in-flight work finish for up to {@code drain}, commits it, and closes; false if the poll
     * or control thread was still running when the wait for it ended. A started executor that stops cleanly (no
     * {@link #failure()}) announces it leaves with a last heartbeat in state LEFT, so its going away is not an
     * outage; one that failed says nothing and shows DOWN, as one that was killed does.
     */
    @Override
    public boolean close(Duration drain) {
        Objects.requireNonNull(drain, "drain == null");
        closing = true;
        timers.shutdownNow();
        boolean started;
        synchronized (this) {
            started = pollThread != null;
        }
        boolean stopped = true;
        if (started) {
            loop.stop(drain);
            control.stop();
            join(pollThread, drain.plusSeconds(30));
            join(controlThread, Duration.ofSeconds(10));
            stopped = !pollThread.isAlive() && !controlThread.isAlive();
            if (failure.get() == null) {
                heartbeat.announceLeaving(Duration.ofSeconds(5));
            }
        } else {
            // Never started: the threads that would close the consumers never ran.
            loop.closeUnstarted();
            control.closeUnstarted();
        }
        workers.shutdownNow();
        clientMetrics.forEach(KafkaClientMetrics::close);
        producer.close(Duration.ofSeconds(10));
        return stopped;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /**
     * Test hook: stops as a killed process would, without draining or committing anything more, and
     * returns how many records this instance read without a confirmed commit (the most that can run twice).
     */
    long crashForTest() {
        closing = true;
        synchronized (this) {
            if (pollThread == null) {
                throw new IllegalStateException("executor " + config.executorId() + " was not started");
            }
        }
        timers.shutdownNow();
        loop.crash();
        control.stop();
        join(pollThread, Duration.ofSeconds(30));
        join(controlThread, Duration.ofSeconds(10));
        workers.shutdownNow();
        producer.close(Duration.ZERO);
        return loop.uncommittedAtCrash();
    }

    private static void join(Thread thread, Duration timeout) {
        if (thread == null) {
            return;
        }
        try {
            thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
