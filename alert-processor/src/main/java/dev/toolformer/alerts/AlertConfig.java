package dev.toolformer.alerts;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.toolformer.alerts.rules.AlertRules;

/**
 * The alert processor's configuration.
 *
 * @param applicationId     the Kafka Streams application id, also the consumer group and internal topic prefix;
 *                          the incident responder's group is {@code <applicationId>-responder}
 * @param rules             the alert rules and incident policy
 * @param stateDir          where the local state stores live
 * @param punctuateInterval how often (wall clock) absent-data rules and state-source alerts are re-checked
 * @param maxEventAge       alert events older than this (record time) are not acted upon, so a new responder
 *                          group reading the topic from the start does not replay old incidents
 */
public record AlertConfig(String applicationId, AlertRules rules, Path stateDir, Duration punctuateInterval,
                          Duration maxEventAge) {
    public static final String DEFAULT_APPLICATION_ID = "toolformer-alert-processor";
    public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_MAX_EVENT_AGE = Duration.ofMinutes(15);

    private static final Pattern KAFKA_NAME = Pattern.compile("[a-zA-Z0-9._-]+");

    public AlertConfig {
        Objects.requireNonNull(applicationId, "applicationId == null");
        if (!KAFKA_NAME.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("alerts.application-id must be one or more of [a-zA-Z0-9._-], was \""
                    + applicationId + "\"");
        }
        Objects.requireNonNull(rules, "rules == null");
        Objects.requireNonNull(stateDir, "stateDir == null");
        Objects.requireNonNull(punctuateInterval, "punctuateInterval == null");
        if (punctuateInterval.toMillis() < 1) {
            throw new IllegalArgumentException("alerts.punctuate-interval must be >= 1ms, was " + punctuateInterval);
        }
        Objects.requireNonNull(maxEventAge, "maxEventAge == null");
        if (!maxEventAge.isPositive()) {
            throw new IllegalArgumentException("alerts.max-event-age must be > 0, was " + maxEventAge);
        }
    }

    public AlertConfig(String applicationId, AlertRules rules, Path stateDir) {
        this(applicationId, rules, stateDir, DEFAULT_PUNCTUATE_INTERVAL, DEFAULT_MAX_EVENT_AGE);
    }

    /** A configuration with the default application id. */
    public static AlertConfig of(AlertRules rules, Path stateDir) {
        return new AlertConfig(DEFAULT_APPLICATION_ID, rules, stateDir);
    }

    public AlertConfig withApplicationId(String id) {
        return new AlertConfig(id, rules, stateDir, punctuateInterval, maxEventAge);
    }

    public AlertConfig withRules(AlertRules value) {
        return new AlertConfig(applicationId, value, stateDir, punctuateInterval, maxEventAge);
    }

    public AlertConfig withStateDir(Path value) {
        return new AlertConfig(applicationId, rules, value, punctuateInterval, maxEventAge);
    }

    public AlertConfig withPunctuateInterval(Duration interval) {
        return new AlertConfig(applicationId, rules, stateDir, interval, maxEventAge);
    }

    public AlertConfig withMaxEventAge(Duration age) {
        return new AlertConfig(applicationId, rules, stateDir, punctuateInterval, age);
    }
}
