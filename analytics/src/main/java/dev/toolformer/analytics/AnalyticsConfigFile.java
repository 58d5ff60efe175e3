package dev.toolformer.analytics;

import java.nio.file.Path;
import java.util.Set;

import dev.toolformer.common.config.SettingsFile;

/**
 * The analytics settings read from a file ({@code toolformer analytics --config FILE}): every {@code analytics.*}
 * key of {@link AnalyticsConfig}, as a {@code .properties} file or YAML (see {@link SettingsFile}). An unknown key
 * or a bad value fails, naming the key.
 */
public final class AnalyticsConfigFile {
    static final Set<String> KEYS = Set.of("analytics.application-id", "analytics.window-size", "analytics.grace",
            "analytics.emit-updates", "analytics.state-dir", "analytics.dedup-retention",
            "analytics.slo.availability-objective", "analytics.slo.latency-objective",
            "analytics.slo.latency-threshold", "analytics.speculation-window", "analytics.health.heartbeat-timeout",
            "analytics.health.publish-interval", "analytics.health.forget-after");

    private AnalyticsConfigFile() {
    }

    /** {@code base} with the settings of {@code file}. */
    public static AnalyticsConfig load(Path file, AnalyticsConfig base) {
        return SettingsFile.read(file, "analytics", settings -> apply(settings, base));
    }

    /** {@code base} with the settings of {@code file}; the record's own checks name a key whose value is wrong. */
    public static AnalyticsConfig apply(SettingsFile file, AnalyticsConfig base) {
        SettingsFile s = file.requireKnown(KEYS);
        return new AnalyticsConfig(
                s.string("analytics.application-id", base.applicationId()),
                s.duration("analytics.window-size", base.windowSize()),
                s.duration("analytics.grace", base.grace()),
                s.bool("analytics.emit-updates", base.emitUpdates()),
                s.path("analytics.state-dir", base.stateDir()),
                s.duration("analytics.dedup-retention", base.dedupRetention()),
                s.number("analytics.slo.availability-objective", base.availabilityObjective()),
                s.number("analytics.slo.latency-objective", base.latencyObjective()),
                s.duration("analytics.slo.latency-threshold", base.latencyThreshold()),
                s.duration("analytics.speculation-window", base.speculationWindow()),
                s.duration("analytics.health.heartbeat-timeout", base.heartbeatTimeout()),
                s.duration("analytics.health.publish-interval", base.healthPublishInterval()),
                s.duration("analytics.health.forget-after", base.healthForgetAfter()));
    }
}
