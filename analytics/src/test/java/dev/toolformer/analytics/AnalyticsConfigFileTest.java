package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyticsConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void shouldSetEveryKeyOfAYamlFileAndKeepTheDefaultsOfTheOthers() throws Exception {
        Path file = Files.writeString(dir.resolve("analytics.yaml"), """
                analytics:
                  application-id: team-a-analytics
                  window-size: 2m
                  grace: 1m30s
                  emit-updates: false
                  slo: {availability-objective: 0.995, latency-objective: 0.9, latency-threshold: 1500ms}
                  health: {heartbeat-timeout: 45s}
                """);

        AnalyticsConfig config = AnalyticsConfigFile.load(file, AnalyticsConfig.defaults(dir.resolve("state")));

        assertThat(config.applicationId()).isEqualTo("team-a-analytics");
        assertThat(config.windowSize()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.grace()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.emitUpdates()).isFalse();
        assertThat(config.availabilityObjective()).isEqualTo(0.995);
        assertThat(config.latencyObjective()).isEqualTo(0.9);
        assertThat(config.latencyThreshold()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.stateDir()).isEqualTo(dir.resolve("state"));
        assertThat(config.dedupRetention()).isEqualTo(AnalyticsConfig.DEFAULT_DEDUP_RETENTION);
    }

    @Test
    void shouldNameTheFileAndKeyOfATypoOrABadValue() throws Exception {
        Path typo = Files.writeString(dir.resolve("a.properties"), "analytics.grase=10s\n");
        Path bad = Files.writeString(dir.resolve("b.properties"), "analytics.emit-updates=yes\n");
        Path outOfRange = Files.writeString(dir.resolve("c.properties"), "analytics.slo.latency-objective=1.5\n");
        AnalyticsConfig base = AnalyticsConfig.defaults(dir);

        assertThatIllegalArgumentException().isThrownBy(() -> AnalyticsConfigFile.load(typo, base))
                .withMessageStartingWith("analytics config " + typo + ": unknown key analytics.grase (known: ")
                .withMessageContaining("analytics.grace");
        assertThatIllegalArgumentException().isThrownBy(() -> AnalyticsConfigFile.load(bad, base))
                .withMessage("analytics config " + bad + ": analytics.emit-updates = 'yes': expected true or false");
        assertThatIllegalArgumentException().isThrownBy(() -> AnalyticsConfigFile.load(outOfRange, base))
                .withMessageStartingWith("analytics config " + outOfRange + ": analytics.slo.latency-objective");
    }
}
