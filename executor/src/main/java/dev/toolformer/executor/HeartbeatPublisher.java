package dev.toolformer.executor;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import com.sun.management.OperatingSystemMXBean;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.ExecutorState;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes this executor's {@code toolformer.heartbeats} record: liveness, resources, in-flight, lag. */
final class HeartbeatPublisher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);
    private static final AvroSerde<ExecutorHeartbeat> HEARTBEATS = AvroSerde.of(ExecutorHeartbeat.class);

    private final String executorId;
    private final Producer<String, byte[]> producer;
    private final Supplier<ExecutorStats> stats;
    private final Supplier<Long> lag;
    private final Clock clock;
    private final Instant startedAt;

    HeartbeatPublisher(String executorId, Producer<String, byte[]> producer, Supplier<ExecutorStats> stats,
                       Supplier<Long> lag, Clock clock) {
        this.executorId = executorId;
        this.producer = producer;
        this.stats = stats;
        this.lag = lag;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    @Override
    public void run() {
        try {
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS.name(), executorId, HEARTBEATS.encode(heartbeat())));
        } catch (RuntimeException e) {
            log.warn("Heartbeat failed: {}", e.toString());
        }
    }

    /**
     * Sends the last heartbeat of a clean stop, state {@link ExecutorState#LEFT}, and waits up to {@code timeout}
     * for the broker to have it: analytics then reports this executor LEFT rather than DOWN, and a ServiceDown
     * alert for it resolves. False (logged) if the broker did not confirm it in time.
     */
    boolean announceLeaving(Duration timeout) {
        ExecutorHeartbeat last = ExecutorHeartbeat.newBuilder(heartbeat()).setState(ExecutorState.LEFT).build();
        try {
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS.name(), executorId, HEARTBEATS.encode(last)))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Executor {} announced it leaves (heartbeat state LEFT)", executorId);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.warn("Executor {} could not announce it leaves; it will show DOWN until forgotten: {}", executorId,
                    e instanceof ExecutionException ? e.getCause().toString() : e.toString());
            return false;
        }
    }

    ExecutorHeartbeat heartbeat() {
        Runtime rt = Runtime.getRuntime();
        double cpu = ManagementFactory.getOperatingSystemMXBean()
                instanceof OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuLoad() * 100) : 0;
        ExecutorStats now = stats.get();
        return ExecutorHeartbeat.newBuilder()
                .setExecutorId(executorId)
                .setHost(hostName())
                .setSentAt(clock.instant())
                .setStartedAt(startedAt)
                .setHeapUsedBytes(rt.totalMemory() - rt.freeMemory())
                .setHeapMaxBytes(rt.maxMemory())
                .setCpuPercent(cpu)
                .setInFlight(now.inFlight())
                .setMaxInFlight(now.maxInFlight())
                .setConsumerLag(lag.get())
                .setPausedPartitions(now.pausedPartitions())
                .setVersion(String.valueOf(ToolExecutor.class.getPackage().getImplementationVersion()))
                .build();
    }

    private static String hostName() {
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
