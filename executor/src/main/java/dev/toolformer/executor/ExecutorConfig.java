package dev.toolformer.executor;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of one executor instance; immutable, every value checked when built. Keys in messages
 * are the {@code executor.*} names an operator would set.
 */
public final class ExecutorConfig {
    /** Largest {@code arguments_json} accepted by default, in UTF-8 bytes. */
    public static final int DEFAULT_MAX_ARGUMENTS_BYTES = 1 << 20;
    /** The consumer group every executor of a pipeline joins unless told otherwise. */
    public static final String DEFAULT_GROUP_ID = "toolformer-executor";
    /** Default of {@code executor.max-in-flight-bytes}: 64 MiB. */
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 64L << 20;

    private final String executorId;
    private final String groupId;
    private final int maxInFlight;
    private final long maxInFlightBytes;
    private final int maxAttempts;
    private final Duration maxTimeout;
    private final Duration retryBackoff;
    private final Duration heartbeatInterval;
    private final int maxArgumentsBytes;
    private final ProcessingOrder processingOrder;
    private final int partitionQueueLimit;
    private final Duration revocationDrain;
    private final Duration controlReplay;
    private final Duration livenessTimeout;
    private final int maxUnknownNames;
    private final Map<String, Double> providerRates;
    private final float breakerFailureRatePercent;
    private final int breakerMinimumCalls;
    private final Duration breakerOpenDuration;
    private final double throttleFactor;

    /**
     * The short form: every other setting takes its default.
     *
     * @param executorId        unique id of this instance (heartbeats, results' executor_id, control target)
     * @param groupId           consumer group shared by every executor instance
     * @param maxInFlight       most requests running at once in this instance
     * @param maxAttempts       attempts per request when the request does not say (retriable failures)
     * @param maxTimeout        largest accepted timeout_ms; larger requests are REJECTED
     * @param retryBackoff      first retry delay; doubles each attempt, with jitter
     * @param heartbeatInterval how often a heartbeat is published
     */
    public ExecutorConfig(String executorId, String groupId, int maxInFlight, int maxAttempts,
                          Duration maxTimeout, Duration retryBackoff, Duration heartbeatInterval) {
        this(builder(executorId).groupId(groupId).maxInFlight(maxInFlight).maxAttempts(maxAttempts)
                .maxTimeout(maxTimeout).retryBackoff(retryBackoff).heartbeatInterval(heartbeatInterval));
    }

    private ExecutorConfig(Builder b) {
        executorId = Objects.requireNonNull(b.executorId, "executor.id == null");
        groupId = Objects.requireNonNull(b.groupId, "executor.group-id == null");
        if (executorId.isBlank()) {
            throw new IllegalArgumentException("executor.id must not be blank");
        }
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("executor.group-id must not be blank");
        }
        maxInFlight = atLeast("executor.max-in-flight", b.maxInFlight, 1);
        if (b.maxInFlightBytes < 1) {
            throw new IllegalArgumentException("executor.max-in-flight-bytes must be >= 1, was " + b.maxInFlightBytes);
        }
        maxInFlightBytes = b.maxInFlightBytes;
        maxAttempts = atLeast("executor.max-attempts", b.maxAttempts, 1);
        maxTimeout = positive("executor.max-timeout", b.maxTimeout);
        retryBackoff = positive("executor.retry-backoff", b.retryBackoff);
        heartbeatInterval = positive("executor.heartbeat-interval", b.heartbeatInterval);
        maxArgumentsBytes = atLeast("executor.max-arguments-bytes", b.maxArgumentsBytes, 2);
        processingOrder = Objects.requireNonNull(b.processingOrder, "executor.processing-order == null");
        partitionQueueLimit = b.partitionQueueLimit == 0 ? maxInFlight
                : atLeast("executor.partition-queue-limit", b.partitionQueueLimit, 1);
        revocationDrain = nonNegative("executor.revocation-drain", b.revocationDrain);
        controlReplay = nonNegative("executor.control-replay", b.controlReplay);
        livenessTimeout = positive("executor.liveness-timeout", b.livenessTimeout);
        maxUnknownNames = atLeast("executor.max-unknown-names", b.maxUnknownNames, 0);
        TreeMap<String, Double> rates = new TreeMap<>();
        b.providerRates.forEach((provider, rate) -> {
            Objects.requireNonNull(provider, "executor.rate-limits key == null");
            if (rate == null || !(rate > 0) || rate.isInfinite()) {
                throw new IllegalArgumentException("executor.rate-limits." + provider
                        + " must be a positive number of requests per second, was " + rate);
            }
            rates.put(provider, rate);
        });
        providerRates = Collections.unmodifiableMap(rates);
        if (!(b.breakerFailureRatePercent > 0 && b.breakerFailureRatePercent <= 100)) {
            throw new IllegalArgumentException("executor.breaker.failure-rate-percent must be in (0, 100], was "
                    + b.breakerFailureRatePercent);
        }
        breakerFailureRatePercent = b.breakerFailureRatePercent;
        breakerMinimumCalls = atLeast("executor.breaker.minimum-calls", b.breakerMinimumCalls, 1);
        breakerOpenDuration = positive("executor.breaker.open-duration", b.breakerOpenDuration);
        if (!(b.throttleFactor > 0 && b.throttleFactor <= 1)) {
            throw new IllegalArgumentException("executor.throttle-factor must be in (0, 1], was " + b.throttleFactor);
        }
        throttleFactor = b.throttleFactor;
    }

    /** Every setting at its default, for the instance {@code executorId}. */
    public static ExecutorConfig defaults(String executorId) {
        return builder(executorId).build();
    }

    public static Builder builder(String executorId) {
        return new Builder(executorId);
    }

    /** A builder holding every setting of this config, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder(executorId).groupId(groupId).maxInFlight(maxInFlight).maxInFlightBytes(maxInFlightBytes)
                .maxAttempts(maxAttempts)
                .maxTimeout(maxTimeout).retryBackoff(retryBackoff).heartbeatInterval(heartbeatInterval)
                .maxArgumentsBytes(maxArgumentsBytes).processingOrder(processingOrder)
                .revocationDrain(revocationDrain).controlReplay(controlReplay).livenessTimeout(livenessTimeout)
                .maxUnknownNames(maxUnknownNames).providerRates(providerRates)
                .breakerFailureRatePercent(breakerFailureRatePercent).breakerMinimumCalls(breakerMinimumCalls)
                .breakerOpenDuration(breakerOpenDuration).throttleFactor(throttleFactor);
        // A limit that only followed maxInFlight keeps following it.
        return partitionQueueLimit == maxInFlight ? b : b.partitionQueueLimit(partitionQueueLimit);
    }

    public ExecutorConfig withMaxInFlight(int value) {
        return toBuilder().maxInFlight(value).build();
    }

    public String executorId() { return executorId; }

    public String groupId() { return groupId; }

    /** Most requests running at once (default 10,000). */
    public int maxInFlight() { return maxInFlight; }

    /**
     * Most bytes of request records (key and value as read) held by running requests at once (default 64 MiB):
     * with {@link #maxInFlight()}, bounds memory whatever the records' sizes. A record larger than this runs
     * when nothing else does.
     */
    public long maxInFlightBytes() { return maxInFlightBytes; }

    /** Attempts per request when the request's max_attempts is 0 (default 3). */
    public int maxAttempts() { return maxAttempts; }

    /** Largest accepted timeout_ms (default 10 min). */
    public Duration maxTimeout() { return maxTimeout; }

    /** First retry delay, doubled each attempt with jitter (default 100 ms). */
    public Duration retryBackoff() { return retryBackoff; }

    /** Heartbeat period (default 5 s). */
    public Duration heartbeatInterval() { return heartbeatInterval; }

    /** Largest accepted arguments_json in UTF-8 bytes (default 1 MiB). */
    public int maxArgumentsBytes() { return maxArgumentsBytes; }

    /** Ordering of requests (default {@link ProcessingOrder#UNORDERED}). */
    public ProcessingOrder processingOrder() { return processingOrder; }

    /** Started-but-unfinished records of one partition above which it is paused (default: maxInFlight). */
    public int partitionQueueLimit() { return partitionQueueLimit; }

    /** How long revoked partitions' in-flight work may finish before it is abandoned (default 5 s). */
    public Duration revocationDrain() { return revocationDrain; }

    /**
     * How far back in {@code toolformer.control} a starting executor looks for commands still in force
     * (default 1 day, the topic's retention; 0: none, start with everything closed).
     */
    public Duration controlReplay() { return controlReplay; }

    /** How long the poll loop may make no progress before {@code /health/live} fails ({@code executor.liveness-timeout}). */
    public Duration livenessTimeout() { return livenessTimeout; }

    /**
     * How many providers, and how many models, outside the price table and the rate limits keep their own
     * name in metrics, breakers and results (default 100 each); the rest are reported as {@code other}.
     */
    public int maxUnknownNames() { return maxUnknownNames; }

    /** Requests per second per provider ({@code "*"}: all requests together); absent = unlimited. */
    public Map<String, Double> providerRates() { return providerRates; }

    /** Failure rate that opens a tool+provider breaker (default 50 %). */
    public float breakerFailureRatePercent() { return breakerFailureRatePercent; }

    /** Calls a breaker sees before it may open (default 20; also its sliding-window size). */
    public int breakerMinimumCalls() { return breakerMinimumCalls; }

    /** How long an automatically opened breaker stays open before trying half-open (default 30 s). */
    public Duration breakerOpenDuration() { return breakerOpenDuration; }

    /** Share of maxInFlight kept by a THROTTLE command without a rate (default 0.5). */
    public double throttleFactor() { return throttleFactor; }

    @Override
    public String toString() {
        return "ExecutorConfig[id=" + executorId + ", group=" + groupId + ", maxInFlight=" + maxInFlight
                + ", maxAttempts=" + maxAttempts + ", order=" + processingOrder + ", rates=" + providerRates + "]";
    }

    private static int atLeast(String key, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(key + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    private static Duration positive(String key, Duration value) {
        Objects.requireNonNull(value, key + " == null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be > 0, was " + value);
        }
        return value;
    }

    private static Duration nonNegative(String key, Duration value) {
        Objects.requireNonNull(value, key + " == null");
        if (value.isNegative()) {
            throw new IllegalArgumentException(key + " must be >= 0, was " + value);
        }
        return value;
    }

    /** Collects settings; {@link #build()} checks them. */
    public static final class Builder {
        private final String executorId;
        private String groupId = DEFAULT_GROUP_ID;
        private int maxInFlight = 10_000;
        private long maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES;
        private int maxAttempts = 3;
        private Duration maxTimeout = Duration.ofMinutes(10);
        private Duration retryBackoff = Duration.ofMillis(100);
        private Duration heartbeatInterval = Duration.ofSeconds(5);
        private int maxArgumentsBytes = DEFAULT_MAX_ARGUMENTS_BYTES;
        private ProcessingOrder processingOrder = ProcessingOrder.UNORDERED;
        private int partitionQueueLimit;
        private Duration revocationDrain = Duration.ofSeconds(5);
        private Duration controlReplay = Duration.ofDays(1);
        private Duration livenessTimeout = Duration.ofMinutes(2);
        private int maxUnknownNames = 100;
        private Map<String, Double> providerRates = Map.of();
        private float breakerFailureRatePercent = 50;
        private int breakerMinimumCalls = 20;
        private Duration breakerOpenDuration = Duration.ofSeconds(30);
        private double throttleFactor = 0.5;

        private Builder(String executorId) {
            this.executorId = executorId;
        }

        public Builder groupId(String value) { groupId = value; return this; }

        public Builder maxInFlight(int value) { maxInFlight = value; return this; }

        public Builder maxInFlightBytes(long value) { maxInFlightBytes = value; return this; }

        public Builder maxAttempts(int value) { maxAttempts = value; return this; }

        public Builder maxTimeout(Duration value) { maxTimeout = value; return this; }

        public Builder retryBackoff(Duration value) { retryBackoff = value; return this; }

        public Builder heartbeatInterval(Duration value) { heartbeatInterval = value; return this; }

        public Builder maxArgumentsBytes(int value) { maxArgumentsBytes = value; return this; }

        public Builder processingOrder(ProcessingOrder value) { processingOrder = value; return this; }

        /** 0 (the default) means "equal to maxInFlight". */
        public Builder partitionQueueLimit(int value) { partitionQueueLimit = value; return this; }

        public Builder revocationDrain(Duration value) { revocationDrain = value; return this; }

        public Builder controlReplay(Duration value) { controlReplay = value; return this; }

        public Builder livenessTimeout(Duration value) { livenessTimeout = value; return this; }

        public Builder maxUnknownNames(int value) { maxUnknownNames = value; return this; }

        public Builder providerRates(Map<String, Double> value) {
            providerRates = Map.copyOf(Objects.requireNonNull(value, "executor.rate-limits == null"));
            return this;
        }

        public Builder breakerFailureRatePercent(float value) { breakerFailureRatePercent = value; return this; }

        public Builder breakerMinimumCalls(int value) { breakerMinimumCalls = value; return this; }

        public Builder breakerOpenDuration(Duration value) { breakerOpenDuration = value; return this; }

        public Builder throttleFactor(double value) { throttleFactor = value; return this; }

        public ExecutorConfig build() {
            return new ExecutorConfig(this);
        }
    }
}
