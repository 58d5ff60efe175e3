package dev.toolformer.common.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void shouldReadPrometheusStyleCompoundAndIsoDurations() {
        assertThat(Durations.parse("500ms")).contains(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).contains(Duration.ofSeconds(30));
        assertThat(Durations.parse("1h30m")).contains(Duration.ofMinutes(90));
        assertThat(Durations.parse(" 7D ")).contains(Duration.ofDays(7));
        assertThat(Durations.parse("0")).contains(Duration.ZERO);
        assertThat(Durations.parse("PT1H30M")).contains(Duration.ofMinutes(90));
    }

    @Test
    void shouldRefuseWhatIsNotADuration() {
        assertThat(Durations.parse("")).isEmpty();
        assertThat(Durations.parse("5")).isEmpty();
        assertThat(Durations.parse("1h 30m")).isEmpty();
        assertThat(Durations.parse("-5s")).isEmpty();
        assertThat(Durations.parse("P")).isEmpty();
        assertThat(Durations.parse("99999999999999999999d")).isEmpty();
        assertThat(Durations.parse(null)).isEmpty();
    }
}
