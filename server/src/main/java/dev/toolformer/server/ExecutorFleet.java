package dev.toolformer.server;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.toolformer.alerts.incident.ActionResult;
import dev.toolformer.alerts.incident.FleetActions;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ExecutorStats;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.schema.AlertEvent;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The executors of the all-in-one, in one consumer group: it starts with one and the alert
 * processor's {@code scale_up} action adds more, up to a maximum, exactly as more pods would.
 */
final class ExecutorFleet implements FleetActions, AutoCloseable {
    private final KafkaSettings kafka;
    private final MeterRegistry meters;
    private final int max;
    private final Duration drain;
    private final ToolRegistry tools = ToolRegistry.discover();
    private final Pricing pricing = Pricing.defaults();
    private final List<ToolExecutor> executors = new CopyOnWriteArrayList<>();
    private final Clock clock;

    ExecutorFleet(KafkaSettings kafka, MeterRegistry meters, int max, Duration drain) {
        this(kafka, meters, max, drain, Clock.systemUTC());
    }

    ExecutorFleet(KafkaSettings kafka, MeterRegistry meters, int max, Duration drain, Clock clock) {
        if (max < 1) {
            throw new IllegalArgumentException("max executors must be >= 1, was " + max);
        }
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.meters = Objects.requireNonNull(meters, "meters == null");
        this.max = max;
        this.drain = drain;
        this.clock = Objects.requireNonNull(clock, "clock == null");
    }

    /** Starts one more executor; the id of the new one. */
    synchronized String add() {
        if (executors.size() >= max) {
            throw new IllegalStateException("already at the maximum of " + max + " executors");
        }
        String id = "executor-" + UUID.randomUUID().toString().substring(0, 8);
        ToolExecutor executor = new ToolExecutor(ExecutorConfig.defaults(id), kafka, tools, pricing, meters, clock);
        executor.start();
        executors.add(executor);
        return id;
    }

    @Override
    public ActionResult scaleUp(AlertEvent alert) {
        String id = add();
        return ActionResult.executed("started " + id + " (" + executors.size() + " of " + max + ") for "
                + alert.getRule());
    }

    int size() {
        return executors.size();
    }

    boolean isReady() {
        return !executors.isEmpty() && executors.stream().allMatch(ToolExecutor::isReady);
    }

    /** Why one of the executors is stuck, if one is (see {@link ToolExecutor#stalled()}). */
    Optional<String> stalled() {
        return executors.stream().map(ToolExecutor::stalled).flatMap(Optional::stream).findFirst();
    }

    /** The first error that stopped one of the executors early, if any. */
    Optional<RuntimeException> failure() {
        return executors.stream().map(ToolExecutor::failure).flatMap(Optional::stream).findFirst();
    }

    /** The fleet's counters: sums, and the largest peak. */
    ExecutorStats stats() {
        ExecutorStats total = null;
        for (ToolExecutor executor : executors) {
            ExecutorStats s = executor.stats();
            total = total == null ? s : total.plus(s);
        }
        return total;
    }

    @Override
    public void close() {
        executors.parallelStream().forEach(e -> e.close(drain));
        executors.clear();
    }
}
