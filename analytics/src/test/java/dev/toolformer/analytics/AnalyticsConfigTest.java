package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class AnalyticsConfigTest {
    private static final Path STATE_DIR = Path.of("state");

    @Test
    void shouldDefaultToOneMinuteWindowsThirtySecondsGraceAndUpdates() {
        AnalyticsConfig config = AnalyticsConfig.defaults(STATE_DIR);

        assertThat(config).isEqualTo(new AnalyticsConfig("toolformer-analytics", Duration.ofMinutes(1),
                Duration.ofSeconds(30), true, STATE_DIR, Duration.ofHours(1), 0.999, 0.95, Duration.ofSeconds(2),
                Duration.ofMinutes(10), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofDays(1)));
    }

    @Test
    void shouldReplaceOnlyTheGivenSettings() {
        AnalyticsConfig config = AnalyticsConfig.defaults(STATE_DIR)
                .withSlos(0.99, 0.9, Duration.ofMillis(500))
                .withSpeculationWindow(Duration.ofMinutes(5))
                .withDedupRetention(Duration.ofHours(2))
                .withHealth(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofHours(1));

        assertThat(List.of(config.availabilityObjective(), config.latencyObjective())).containsExactly(0.99, 0.9);
        assertThat(List.of(config.latencyThreshold(), config.speculationWindow(), config.dedupRetention(),
                config.heartbeatTimeout(), config.healthPublishInterval(), config.healthForgetAfter()))
                .containsExactly(Duration.ofMillis(500), Duration.ofMinutes(5), Duration.ofHours(2),
                        Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofHours(1));
        assertThat(config.grace()).isEqualTo(AnalyticsConfig.DEFAULT_GRACE);
    }

    @Test
    void shouldRejectObjectiveOfOneAsItLeavesNoErrorBudget() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withSlos(1.0, 0.95, Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("analytics.slo.availability-objective must be > 0 and < 1, was 1.0");
    }

    @Test
    void shouldRejectLatencyObjectiveGivenAsPercent() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withSlos(0.999, 95, Duration.ofSeconds(2)))
                .hasMessage("analytics.slo.latency-objective must be > 0 and < 1, was 95.0");
    }

    @Test
    void shouldRejectZeroHeartbeatTimeout() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR)
                .withHealth(Duration.ZERO, Duration.ofSeconds(30), Duration.ofDays(1)))
                .hasMessage("analytics.health.heartbeat-timeout must be >= 1 ms, was PT0S");
    }

    @Test
    void shouldRejectMissingDedupRetention() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withDedupRetention(null))
                .hasMessage("analytics.dedup-retention must be >= 1 ms, was null");
    }

    @Test
    void shouldAcceptZeroGrace() {
        assertThat(AnalyticsConfig.defaults(STATE_DIR).withGrace(Duration.ZERO).grace()).isEqualTo(Duration.ZERO);
    }

    @Test
    void shouldRejectNegativeGrace() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("analytics.grace must be >= 0, was PT-1S");
    }

    @Test
    void shouldRejectMissingGrace() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withGrace(null))
                .hasMessage("analytics.grace must be >= 0, was null");
    }

    @Test
    void shouldRejectWindowShorterThanOneMillisecond() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withWindowSize(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("analytics.window-size must be >= 1 ms, was PT0S");
    }

    @Test
    void shouldRejectApplicationIdThatCannotNameTopics() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withApplicationId("my analytics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("analytics.application-id must be one or more of [a-zA-Z0-9._-], was 'my analytics'");
    }

    @Test
    void shouldRejectEmptyApplicationId() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(STATE_DIR).withApplicationId(""))
                .hasMessage("analytics.application-id must be one or more of [a-zA-Z0-9._-], was ''");
    }

    @Test
    void shouldRejectMissingStateDir() {
        assertThatThrownBy(() -> AnalyticsConfig.defaults(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("analytics.state-dir must be a directory path, was null");
    }
}
