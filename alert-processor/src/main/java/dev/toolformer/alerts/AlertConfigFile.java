package dev.toolformer.alerts;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.config.SettingsFile;

/**
 * The alert processor's settings read from a file ({@code toolformer alert-processor --config FILE}), as a
 * {@code .properties} file or YAML (see {@link SettingsFile}): {@code alerts.application-id}, {@code alerts.rules}
 * (a rules file), {@code alerts.state-dir}, {@code alerts.punctuate-interval}, {@code alerts.max-event-age}, and
 * for Kubernetes actions {@code alerts.kubernetes.executor-deployment} and {@code alerts.kubernetes.max-executors}.
 * An unknown key or a bad value fails, naming the key.
 *
 * @param config             the alert processor's configuration
 * @param executorDeployment the executor Deployment Kubernetes actions act on, if set
 * @param maxExecutors       the most executor replicas {@code scale_up} may ask for, if set
 */
public record AlertConfigFile(AlertConfig config, Optional<String> executorDeployment, Optional<Integer> maxExecutors) {
    static final Set<String> KEYS = Set.of("alerts.application-id", "alerts.rules", "alerts.state-dir",
            "alerts.punctuate-interval", "alerts.max-event-age", "alerts.kubernetes.executor-deployment",
            "alerts.kubernetes.max-executors");

    /** {@code base} with the settings of {@code file}. */
    public static AlertConfigFile load(Path file, AlertConfig base) {
        return SettingsFile.read(file, "alert-processor", settings -> apply(settings, base));
    }

    /** {@code base} with the settings of {@code file}. */
    public static AlertConfigFile apply(SettingsFile file, AlertConfig base) {
        SettingsFile s = file.requireKnown(KEYS);
        Path rules = s.path("alerts.rules", null);
        AlertConfig config = new AlertConfig(
                s.string("alerts.application-id", base.applicationId()),
                rules == null ? base.rules() : AlertRules.load(rules),
                s.path("alerts.state-dir", base.stateDir()),
                s.duration("alerts.punctuate-interval", base.punctuateInterval()),
                s.duration("alerts.max-event-age", base.maxEventAge()));
        Optional<Integer> max = s.values().containsKey("alerts.kubernetes.max-executors")
                ? Optional.of(s.integer("alerts.kubernetes.max-executors", 0)) : Optional.empty();
        return new AlertConfigFile(config, Optional.ofNullable(s.string("alerts.kubernetes.executor-deployment", null)),
                max);
    }
}
