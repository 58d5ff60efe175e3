package dev.toolformer.analytics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.ExecutorState;
import dev.toolformer.schema.HealthState;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Executor health from heartbeats, keyed by executor id. An executor is UP while its latest heartbeat's
 * {@code sent_at} (the record's timestamp: clamped to the broker's append time when the executor's clock is
 * off, see {@link EventTimeExtractor}) is at most the heartbeat timeout old by this task's wall clock, DOWN
 * after; LEFT once its latest heartbeat says it stopped cleanly ({@link ExecutorState#LEFT}: scale-down,
 * rollout, Ctrl-C), which silence does not turn DOWN. A
 * wall-clock punctuator checks every {@link #CHECK_INTERVAL}, so silence is detected when nothing flows.
 * Published on every change of state (a new executor, UP to DOWN, DOWN to UP) and every executor again
 * each publish interval, with its latest resources; a heartbeat that changes nothing but the resources
 * is published with the next periodic round. An executor DOWN or LEFT for longer than forget-after is deleted
 * and tombstoned (null value) on the compacted topic. A heartbeat older than the latest one is ignored.
 */
final class HealthProcessor implements Processor<String, ExecutorHeartbeat, String, ExecutorHealth> {
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private final long timeoutMs;
    private final long forgetAfterMs;
    private final Duration publishInterval;
    private ProcessorContext<String, ExecutorHealth> context;
    private KeyValueStore<String, ExecutorHealth> executors;

    HealthProcessor(AnalyticsConfig config) {
        this.timeoutMs = config.heartbeatTimeout().toMillis();
        this.forgetAfterMs = config.healthForgetAfter().toMillis();
        this.publishInterval = config.healthPublishInterval();
    }

    static StoreBuilder<KeyValueStore<String, ExecutorHealth>> store() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AnalyticsTopology.HEALTH_STORE),
                Serdes.String(), AvroSerde.of(ExecutorHealth.class));
    }

    @Override
    public void init(ProcessorContext<String, ExecutorHealth> context) {
        this.context = context;
        this.executors = context.getStateStore(AnalyticsTopology.HEALTH_STORE);
        context.schedule(CHECK_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::check);
        context.schedule(publishInterval, PunctuationType.WALL_CLOCK_TIME, this::publishAll);
    }

    @Override
    public void process(Record<String, ExecutorHeartbeat> record) {
        ExecutorHeartbeat heartbeat = record.value();
        if (heartbeat == null) {
            return;
        }
        String id = heartbeat.getExecutorId();
        ExecutorHealth previous = executors.get(id);
        // The record's timestamp is sent_at, clamped to the broker's append time when the executor's clock is off.
        Instant sentAt = Instant.ofEpochMilli(record.timestamp());
        if (previous != null && sentAt.isBefore(previous.getLastSeen())) {
            return;
        }
        long now = context.currentSystemTimeMs();
        HealthState state = heartbeat.getState() == ExecutorState.LEFT ? HealthState.LEFT
                : now - sentAt.toEpochMilli() > timeoutMs ? HealthState.DOWN : HealthState.UP;
        boolean changed = previous == null || previous.getState() != state;
        ExecutorHealth health = ExecutorHealth.newBuilder()
                .setExecutorId(id)
                .setState(state)
                .setLastSeen(sentAt)
                .setHeapUsedBytes(heartbeat.getHeapUsedBytes())
                .setHeapMaxBytes(heartbeat.getHeapMaxBytes())
                .setHeapUsedRatio(heapRatio(heartbeat.getHeapUsedBytes(), heartbeat.getHeapMaxBytes()))
                .setCpuPercent(heartbeat.getCpuPercent())
                .setInFlight(heartbeat.getInFlight())
                .setConsumerLag(heartbeat.getConsumerLag())
                .setChangedAt(changed ? Instant.ofEpochMilli(now) : previous.getChangedAt())
                .build();
        executors.put(id, health);
        if (changed) {
            context.forward(new Record<>(id, health, now));
        }
    }

    /** Marks silent executors DOWN and forgets those (DOWN or LEFT) silent for longer than forget-after. */
    void check(long now) {
        for (KeyValue<String, ExecutorHealth> entry : snapshot()) {
            ExecutorHealth health = entry.value;
            long silentMs = now - health.getLastSeen().toEpochMilli();
            if (health.getState() == HealthState.UP && silentMs > timeoutMs) {
                ExecutorHealth down = ExecutorHealth.newBuilder(health)
                        .setState(HealthState.DOWN)
                        .setChangedAt(Instant.ofEpochMilli(now))
                        .build();
                executors.put(entry.key, down);
                context.forward(new Record<>(entry.key, down, now));
            } else if (health.getState() != HealthState.UP && silentMs > forgetAfterMs) {
                executors.delete(entry.key);
                context.forward(new Record<String, ExecutorHealth>(entry.key, null, now));
            }
        }
    }

    /** Heap used over heap max, 0 when the maximum is unknown (the JVM reports -1 then). */
    static double heapRatio(long used, long max) {
        return max > 0 ? Math.min(1.0, Math.max(0.0, (double) used / max)) : 0.0;
    }

    void publishAll(long now) {
        for (KeyValue<String, ExecutorHealth> entry : snapshot()) {
            context.forward(new Record<>(entry.key, entry.value, now));
        }
    }

    private List<KeyValue<String, ExecutorHealth>> snapshot() {
        List<KeyValue<String, ExecutorHealth>> all = new ArrayList<>();
        try (KeyValueIterator<String, ExecutorHealth> it = executors.all()) {
            it.forEachRemaining(all::add);
        }
        return all;
    }
}
