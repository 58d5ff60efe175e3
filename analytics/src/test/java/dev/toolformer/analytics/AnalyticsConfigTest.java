package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class AnalyticsConfigTest {
    private static final Path STATE_DIR = Path.of("state");

    @Test
    void shouldDefaultToOneMinuteWindowsThirtySecondsGraceAndUpdates() {
        AnalyticsConfig config = AnalyticsConfig.defaults(STATE_DIR);

        assertThat(config).isEqualTo(new AnalyticsConfig("toolformer-analytics", Duration.ofMinutes(1),
                Duration.ofSeconds(30), true, STATE_DIR));
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
