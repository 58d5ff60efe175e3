package dev.toolformer.analytics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Settings of the analytics service, validated at construction: a bad value fails with a message that
 * names its key, the value and what was expected.
 *
 * @param applicationId         Kafka Streams application id ({@code analytics.application-id}): the consumer
 *                              group and the prefix of internal topics, so instances that share it share the work
 * @param windowSize            length of the tumbling SLO and speculation windows ({@code analytics.window-size})
 * @param grace                 how long after a window's end late results are still counted
 *                              ({@code analytics.grace}); a window's final record is emitted once it has passed
 * @param emitUpdates           whether open windows are emitted on every update ({@code is_final=false}) as well
 *                              as once when they close ({@code analytics.emit-updates})
 * @param stateDir              directory of the local state stores ({@code analytics.state-dir})
 * @param dedupRetention        how long a request id is remembered, in event time, so that a second result of
 *                              the same request is not counted again ({@code analytics.dedup-retention})
 * @param availabilityObjective target share of results that are not internal errors
 *                              ({@code analytics.slo.availability-objective}), in (0, 1)
 * @param latencyObjective      target share of results faster than {@code latencyThreshold}
 *                              ({@code analytics.slo.latency-objective}), in (0, 1)
 * @param latencyThreshold      end-to-end latency a good result stays under ({@code analytics.slo.latency-threshold})
 * @param speculationWindow     how long before or after a speculative result finished its outcome may be decided;
 *                              without one by then it counts as unresolved ({@code analytics.speculation-window})
 * @param heartbeatTimeout      an executor whose last heartbeat is older than this is DOWN
 *                              ({@code analytics.health.heartbeat-timeout})
 * @param healthPublishInterval how often every executor's state is re-published, besides on every change
 *                              ({@code analytics.health.publish-interval})
 * @param healthForgetAfter     a DOWN executor silent for this long is forgotten: deleted from the store and
 *                              tombstoned on the compacted health topic ({@code analytics.health.forget-after})
 */
public record AnalyticsConfig(String applicationId, Duration windowSize, Duration grace, boolean emitUpdates,
                              Path stateDir, Duration dedupRetention, double availabilityObjective,
                              double latencyObjective, Duration latencyThreshold, Duration speculationWindow,
                              Duration heartbeatTimeout, Duration healthPublishInterval, Duration healthForgetAfter) {
    public static final String DEFAULT_APPLICATION_ID = "toolformer-analytics";
    public static final Duration DEFAULT_WINDOW_SIZE = Duration.ofMinutes(1);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_DEDUP_RETENTION = Duration.ofHours(1);
    public static final double DEFAULT_AVAILABILITY_OBJECTIVE = 0.999;
    public static final double DEFAULT_LATENCY_OBJECTIVE = 0.95;
    public static final Duration DEFAULT_LATENCY_THRESHOLD = Duration.ofSeconds(2);
    public static final Duration DEFAULT_SPECULATION_WINDOW = Duration.ofMinutes(10);
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_HEALTH_PUBLISH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_HEALTH_FORGET_AFTER = Duration.ofDays(1);

    /** The most an executor's clock may be off before its event times are clamped (see {@link #clockSkewTolerance()}). */
    public static final Duration MAX_CLOCK_SKEW_TOLERANCE = Duration.ofSeconds(10);

    /** What Kafka accepts in an application id, which becomes part of topic names. */
    private static final Pattern APPLICATION_ID = Pattern.compile("[a-zA-Z0-9._-]+");

    /**
     * How far an event time may be from the broker's append time of its record before it is clamped: half the
     * grace, at most {@link #MAX_CLOCK_SKEW_TOLERANCE}. Below the grace on purpose: a clock ahead by up to
     * the tolerance then moves stream time too little to make anyone's on-time results late.
     */
    public Duration clockSkewTolerance() {
        Duration half = grace.dividedBy(2);
        return half.compareTo(MAX_CLOCK_SKEW_TOLERANCE) < 0 ? half : MAX_CLOCK_SKEW_TOLERANCE;
    }

    public AnalyticsConfig {
        if (applicationId == null || !APPLICATION_ID.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("analytics.application-id must be one or more of [a-zA-Z0-9._-], was "
                    + (applicationId == null ? "null" : "'" + applicationId + "'"));
        }
        atLeastOneMs("analytics.window-size", windowSize);
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("analytics.grace must be >= 0, was " + grace);
        }
        if (stateDir == null) {
            throw new IllegalArgumentException("analytics.state-dir must be a directory path, was null");
        }
        atLeastOneMs("analytics.dedup-retention", dedupRetention);
        ratio("analytics.slo.availability-objective", availabilityObjective);
        ratio("analytics.slo.latency-objective", latencyObjective);
        atLeastOneMs("analytics.slo.latency-threshold", latencyThreshold);
        atLeastOneMs("analytics.speculation-window", speculationWindow);
        atLeastOneMs("analytics.health.heartbeat-timeout", heartbeatTimeout);
        atLeastOneMs("analytics.health.publish-interval", healthPublishInterval);
        atLeastOneMs("analytics.health.forget-after", healthForgetAfter);
    }

    /**
     * One-minute windows, 30 s grace, updates emitted, application id {@value #DEFAULT_APPLICATION_ID},
     * request ids remembered for 1 h, SLOs of 99.9 % availability and 95 % of results under 2 s, a 10-minute
     * speculation window, executors DOWN after 60 s of silence, re-published every 30 s, forgotten after 1 d.
     */
    public static AnalyticsConfig defaults(Path stateDir) {
        return new AnalyticsConfig(DEFAULT_APPLICATION_ID, DEFAULT_WINDOW_SIZE, DEFAULT_GRACE, true, stateDir,
                DEFAULT_DEDUP_RETENTION, DEFAULT_AVAILABILITY_OBJECTIVE, DEFAULT_LATENCY_OBJECTIVE,
                DEFAULT_LATENCY_THRESHOLD, DEFAULT_SPECULATION_WINDOW, DEFAULT_HEARTBEAT_TIMEOUT,
                DEFAULT_HEALTH_PUBLISH_INTERVAL, DEFAULT_HEALTH_FORGET_AFTER);
    }

    public AnalyticsConfig withApplicationId(String value) {
        return new AnalyticsConfig(value, windowSize, grace, emitUpdates, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    public AnalyticsConfig withWindowSize(Duration value) {
        return new AnalyticsConfig(applicationId, value, grace, emitUpdates, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    public AnalyticsConfig withStateDir(Path value) {
        return new AnalyticsConfig(applicationId, windowSize, grace, emitUpdates, value, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    public AnalyticsConfig withGrace(Duration value) {
        return new AnalyticsConfig(applicationId, windowSize, value, emitUpdates, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    public AnalyticsConfig withEmitUpdates(boolean value) {
        return new AnalyticsConfig(applicationId, windowSize, grace, value, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    public AnalyticsConfig withDedupRetention(Duration value) {
        return new AnalyticsConfig(applicationId, windowSize, grace, emitUpdates, stateDir, value,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    /** The availability and latency SLOs: objectives and the latency a good result stays under. */
    public AnalyticsConfig withSlos(double availability, double latency, Duration threshold) {
        return new AnalyticsConfig(applicationId, windowSize, grace, emitUpdates, stateDir, dedupRetention,
                availability, latency, threshold, speculationWindow, heartbeatTimeout, healthPublishInterval,
                healthForgetAfter);
    }

    public AnalyticsConfig withSpeculationWindow(Duration value) {
        return new AnalyticsConfig(applicationId, windowSize, grace, emitUpdates, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, value, heartbeatTimeout,
                healthPublishInterval, healthForgetAfter);
    }

    /** Executor health: silence before DOWN, re-publication interval, silence before an executor is forgotten. */
    public AnalyticsConfig withHealth(Duration timeout, Duration publishInterval, Duration forgetAfter) {
        return new AnalyticsConfig(applicationId, windowSize, grace, emitUpdates, stateDir, dedupRetention,
                availabilityObjective, latencyObjective, latencyThreshold, speculationWindow, timeout,
                publishInterval, forgetAfter);
    }

    private static void atLeastOneMs(String key, Duration value) {
        if (value == null || value.toMillis() < 1) {
            throw new IllegalArgumentException(key + " must be >= 1 ms, was " + value);
        }
    }

    private static void ratio(String key, double value) {
        if (!(value > 0 && value < 1)) {
            throw new IllegalArgumentException(key + " must be > 0 and < 1, was " + value);
        }
    }
}
