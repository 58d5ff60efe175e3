package dev.toolformer.executor;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The executor's meters ({@link ExecutorMeter}) on an injected registry, plus the plain counters
 * behind {@link ExecutorStats}. Thread-safe.
 */
final class ExecutorMetrics {
    /**
     * Gauges are registered once per name and tags, so every executor sharing a registry (the
     * all-in-one can run several) must move the same numbers.
     */
    private static final Map<MeterRegistry, Map<String, AtomicInteger>> ACTIVE_BY_REGISTRY = new WeakHashMap<>();
    private static final Duration[] SLOS = Arrays.stream(ExecutorMeter.DURATION_BUCKETS_SECONDS)
            .mapToObj(s -> Duration.ofNanos((long) (s * 1e9))).toArray(Duration[]::new);

    private final MeterRegistry registry;
    private final String executorId;
    private final Map<String, AtomicInteger> active;
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final LongAdder completed = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder unavailable = new LongAdder();
    private final LongAdder breakersOpened = new LongAdder();
    private final LongAdder breakersClosedByProbes = new LongAdder();
    /**
     * The meters every result moves, by series: built and registered once per tool, provider (and status) or per
     * provider and model, not per result (Micrometer's builder sorts tags and looks the meter up each time).
     * Bounded: tool, provider and model names are capped upstream ({@code NameLimits}), statuses are an enum.
     */
    private final Map<Series, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Map<Series, Timer> durationTimers = new ConcurrentHashMap<>();
    private final Map<Priced, Counter> costCounters = new ConcurrentHashMap<>();

    ExecutorMetrics(MeterRegistry registry, String executorId) {
        this.registry = registry;
        this.executorId = executorId;
        synchronized (ACTIVE_BY_REGISTRY) {
            this.active = ACTIVE_BY_REGISTRY.computeIfAbsent(registry, r -> new ConcurrentHashMap<>());
        }
    }

    /** Registers the per-instance gauges. */
    void bindInstance(Supplier<Number> inFlight, Supplier<Number> inFlightBytes, Supplier<Number> maxInFlight,
                      Supplier<Number> pausedPartitions) {
        gauge(ExecutorMeter.IN_FLIGHT, inFlight);
        gauge(ExecutorMeter.IN_FLIGHT_BYTES, inFlightBytes);
        gauge(ExecutorMeter.MAX_IN_FLIGHT, maxInFlight);
        gauge(ExecutorMeter.PAUSED_PARTITIONS, pausedPartitions);
        // Every action at 0 from the start, so that increase() and rate() see the first command applied.
        for (ControlAction action : ControlAction.values()) {
            counter(ExecutorMeter.CONTROL_COMMANDS, "action", action.name());
        }
    }

    private void gauge(ExecutorMeter meter, Supplier<Number> value) {
        Gauge.builder(meter.meterName(), value).description(meter.description())
                .tag("executor_id", executorId).register(registry);
    }

    /** Makes {@code active_tool_executions{tool_type}} visible (at 0) before the tool first runs. */
    void declareTool(String tool) {
        activeCounter(tool);
    }

    void toolStarted(String tool) {
        activeCounter(tool).incrementAndGet();
    }

    void toolFinished(String tool) {
        activeCounter(tool).decrementAndGet();
    }

    private AtomicInteger activeCounter(String tool) {
        return active.computeIfAbsent(tool, t -> {
            AtomicInteger count = new AtomicInteger();
            ExecutorMeter m = ExecutorMeter.ACTIVE_TOOL_EXECUTIONS;
            Gauge.builder(m.meterName(), count, AtomicInteger::get).description(m.description())
                    .tag("tool_type", t).register(registry);
            return count;
        });
    }

    /**
     * Publishes the breakers of {@code breakers} with resilience4j's binder: {@code resilience4j_circuitbreaker_state}
     * with one series per state (1 for the breaker's current one), call counts by kind, failure and slow-call rates;
     * each tagged with the breaker's {@code method}, {@code provider} and {@code executor_id}.
     */
    void bindBreakers(CircuitBreakerRegistry breakers) {
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
    }

    /**
     * Counts a breaker's state change. A HALF_OPEN → CLOSED change is a breaker closed by its probes,
     * the only way a breaker opened by failures or by OPEN_BREAKER with probing closes by itself.
     */
    void breakerTransition(String tool, String provider, String from, String to) {
        counter(ExecutorMeter.BREAKER_TRANSITIONS, "method", tool, "provider", provider, "to", to).increment();
        if (to.equals("open") || to.equals("forced_open")) {
            breakersOpened.increment();
        } else if (to.equals("closed") && from.equals("half_open")) {
            breakersClosedByProbes.increment();
        }
    }

    /** Counts a published result. */
    void result(ToolResult result) {
        completed.increment();
        requestCounters.computeIfAbsent(new Series(result.getTool(), result.getProvider(), result.getStatus()),
                series -> counter(ExecutorMeter.REQUESTS, "method", series.tool(), "provider", series.provider(),
                        "status", series.status().name().toLowerCase(Locale.ROOT))).increment();
        durationTimers.computeIfAbsent(new Series(result.getTool(), result.getProvider(), null), series ->
                        Timer.builder(ExecutorMeter.REQUEST_DURATION.meterName())
                                .description(ExecutorMeter.REQUEST_DURATION.description())
                                .tags("method", series.tool(), "provider", series.provider())
                                .serviceLevelObjectives(SLOS).publishPercentileHistogram(false)
                                .register(registry))
                .record(Duration.between(result.getStartedAt(), result.getFinishedAt()));
        if (result.getCostUsd() > 0) {
            costCounters.computeIfAbsent(new Priced(result.getProvider(), result.getModel()), priced ->
                    counter(ExecutorMeter.API_COSTS, "provider", priced.provider(), "model", priced.model()))
                    .increment(result.getCostUsd());
        }
        switch (result.getStatus()) {
            case REJECTED -> {
                rejected.increment();
                rejection(result);
            }
            case UNAVAILABLE -> {
                unavailable.increment();
                rejection(result);
            }
            case CANCELLED -> cancelled.increment();
            default -> { }
        }
    }

    private void rejection(ToolResult result) {
        counter(ExecutorMeter.REJECTIONS, "reason", result.getError() == null ? "unknown"
                : result.getError().getType()).increment();
    }

    void retry(String tool, String provider) {
        retries.increment();
        counter(ExecutorMeter.RETRIES, "method", tool, "provider", provider).increment();
    }

    void deadLetter(String reason) {
        deadLetters.increment();
        counter(ExecutorMeter.DEAD_LETTERS, "reason", reason).increment();
    }

    void controlCommand(String action) {
        counter(ExecutorMeter.CONTROL_COMMANDS, "action", action).increment();
    }

    void nameOverflowed(String kind) {
        counter(ExecutorMeter.NAMES_OVERFLOWED, "kind", kind).increment();
    }

    void controlCommandRecovered(String action) {
        counter(ExecutorMeter.CONTROL_COMMANDS_RECOVERED, "action", action).increment();
    }

    void inFlightNow(int inFlight) {
        peakInFlight.accumulateAndGet(inFlight, Math::max);
    }

    ExecutorStats stats(int inFlight, int maxInFlight, int pausedPartitions, int queued) {
        return new ExecutorStats(inFlight, peakInFlight.get(), maxInFlight, completed.sum(), retries.sum(),
                deadLetters.sum(), rejected.sum(), unavailable.sum(), cancelled.sum(), breakersOpened.sum(),
                breakersClosedByProbes.sum(), pausedPartitions, queued);
    }

    /** One series of the per-result meters (no status for the duration timer). */
    private record Series(String tool, String provider, ToolStatus status) {
    }

    /** One series of the API-cost counter. */
    private record Priced(String provider, String model) {
    }

    private Counter counter(ExecutorMeter meter, String... tags) {
        return Counter.builder(meter.meterName()).description(meter.description()).tags(tags).register(registry);
    }
}
