package dev.toolformer.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadProfileTest {

    @Test
    void shouldUseThreeHitsInFourByDefault() {
        assertThat(LoadProfile.defaults().speculationHitRate()).isEqualTo(0.75);
    }

    @Test
    void shouldDefaultTheHitRateWhenBuiltWithoutOne() {
        LoadProfile profile = new LoadProfile(1.0, 0.2, 0, 0, 0, 30_000, 42);

        assertThat(profile.speculationHitRate()).isEqualTo(LoadProfile.DEFAULT_SPECULATION_HIT_RATE);
        assertThat(profile.speculativeShare()).isEqualTo(0.2);
        assertThat(profile.timeoutMs()).isEqualTo(30_000);
    }

    @Test
    void shouldAcceptHitRatesFromZeroToOne() {
        assertThat(LoadProfile.defaults().withSpeculationHitRate(0).speculationHitRate()).isZero();
        assertThat(LoadProfile.defaults().withSpeculationHitRate(1).speculationHitRate()).isEqualTo(1.0);
    }

    @Test
    void shouldRejectAHitRateOutsideZeroToOneNamingIt() {
        assertThatThrownBy(() -> LoadProfile.defaults().withSpeculationHitRate(1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("speculation-hit-rate must be between 0 and 1, was 1.5");
        assertThatThrownBy(() -> LoadProfile.defaults().withSpeculationHitRate(Double.NaN))
                .hasMessage("speculation-hit-rate must be between 0 and 1, was NaN");
    }
}
