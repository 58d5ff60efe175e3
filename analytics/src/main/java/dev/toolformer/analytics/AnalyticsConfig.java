package dev.toolformer.analytics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Settings of the analytics service, validated at construction: a bad value fails with a message that
 * names its key, the value and what was expected.
 *
 * @param applicationId Kafka Streams application id ({@code analytics.application-id}): the consumer
 *                      group and the prefix of internal topics, so instances that share it share the work
 * @param windowSize    length of the tumbling SLO windows ({@code analytics.window-size})
 * @param grace         how long after a window's end late results are still counted
 *                      ({@code analytics.grace}); a window's final record is emitted once it has passed
 * @param emitUpdates   whether open windows are emitted on every update ({@code is_final=false}) as well
 *                      as once when they close ({@code analytics.emit-updates})
 * @param stateDir      directory of the local state stores ({@code analytics.state-dir})
 */
public record AnalyticsConfig(String applicationId, Duration windowSize, Duration grace, boolean emitUpdates,
                              Path stateDir) {
    public static final String DEFAULT_APPLICATION_ID = "toolformer-analytics";
    public static final Duration DEFAULT_WINDOW_SIZE = Duration.ofMinutes(1);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    /** What Kafka accepts in an application id, which becomes part of topic names. */
    private static final Pattern APPLICATION_ID = Pattern.compile("[a-zA-Z0-9._-]+");

    public AnalyticsConfig {
        if (applicationId == null || !APPLICATION_ID.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("analytics.application-id must be one or more of [a-zA-Z0-9._-], was "
                    + (applicationId == null ? "null" : "'" + applicationId + "'"));
        }
        if (windowSize == null || windowSize.toMillis() < 1) {
            throw new IllegalArgumentException("analytics.window-size must be >= 1 ms, was " + windowSize);
        }
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("analytics.grace must be >= 0, was " + grace);
        }
        if (stateDir == null) {
            throw new IllegalArgumentException("analytics.state-dir must be a directory path, was null");
        }
    }

    /** One-minute windows, 30 s grace, updates emitted, application id {@value #DEFAULT_APPLICATION_ID}. */
    public static AnalyticsConfig defaults(Path stateDir) {
        return new AnalyticsConfig(DEFAULT_APPLICATION_ID, DEFAULT_WINDOW_SIZE, DEFAULT_GRACE, true, stateDir);
    }

    public AnalyticsConfig withApplicationId(String value) {
        return new AnalyticsConfig(value, windowSize, grace, emitUpdates, stateDir);
    }

    public AnalyticsConfig withWindowSize(Duration value) {
        return new AnalyticsConfig(applicationId, value, grace, emitUpdates, stateDir);
    }

    public AnalyticsConfig withGrace(Duration value) {
        return new AnalyticsConfig(applicationId, windowSize, value, emitUpdates, stateDir);
    }

    public AnalyticsConfig withEmitUpdates(boolean value) {
        return new AnalyticsConfig(applicationId, windowSize, grace, value, stateDir);
    }
}
