package dev.toolformer.alerts;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The alert processor's configuration.
 *
 * @param applicationId the Kafka Streams application id, also the consumer group and internal topic prefix
 * @param rules         the alert rules to evaluate
 * @param stateDir      where the local state stores live
 */
public record AlertConfig(String applicationId, AlertRules rules, Path stateDir) {
    public static final String DEFAULT_APPLICATION_ID = "toolformer-alert-processor";

    private static final Pattern KAFKA_NAME = Pattern.compile("[a-zA-Z0-9._-]+");

    public AlertConfig {
        Objects.requireNonNull(applicationId, "applicationId == null");
        if (!KAFKA_NAME.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("application.id is \"" + applicationId
                    + "\": expected letters, digits, '.', '_' and '-' only");
        }
        Objects.requireNonNull(rules, "rules == null");
        Objects.requireNonNull(stateDir, "stateDir == null");
    }

    /** A configuration with the default application id. */
    public static AlertConfig of(AlertRules rules, Path stateDir) {
        return new AlertConfig(DEFAULT_APPLICATION_ID, rules, stateDir);
    }
}
