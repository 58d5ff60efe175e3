package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.time.Duration;
import java.time.Instant;

import dev.toolformer.alerts.AlertStatus.Phase;
import dev.toolformer.alerts.AlertStatus.Step;
import dev.toolformer.schema.AlertState;
import org.junit.jupiter.api.Test;

class AlertStatusTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration TWO_MINUTES = Duration.ofMinutes(2);

    @Test
    void shouldGoPendingWhenConditionFirstHolds() {
        assertThat(AlertStatus.step(null, true, T, TWO_MINUTES))
                .isEqualTo(new Step(new AlertStatus(Phase.PENDING, T, T), AlertState.PENDING, T));
    }

    @Test
    void shouldStayPendingWithoutTransitionBeforeForElapsed() {
        AlertStatus pending = new AlertStatus(Phase.PENDING, T, T);

        assertThat(AlertStatus.step(pending, true, T.plusSeconds(119), TWO_MINUTES))
                .isEqualTo(new Step(new AlertStatus(Phase.PENDING, T, T.plusSeconds(119)), null, T));
    }

    @Test
    void shouldFireOnceForHasElapsed() {
        AlertStatus pending = new AlertStatus(Phase.PENDING, T, T.plusSeconds(60));

        assertThat(AlertStatus.step(pending, true, T.plusSeconds(120), TWO_MINUTES))
                .isEqualTo(new Step(new AlertStatus(Phase.FIRING, T, T.plusSeconds(120)), AlertState.FIRING, T));
    }

    @Test
    void shouldResolveFiringAlertAndKeepItsActiveSince() {
        AlertStatus firing = new AlertStatus(Phase.FIRING, T, T.plusSeconds(120));

        assertThat(AlertStatus.step(firing, false, T.plusSeconds(180), TWO_MINUTES))
                .isEqualTo(new Step(new AlertStatus(Phase.INACTIVE, null, T.plusSeconds(180)),
                        AlertState.RESOLVED, T));
    }

    @Test
    void shouldIgnoreWindowOlderThanLastEvaluated() {
        AlertStatus inactive = new AlertStatus(Phase.INACTIVE, null, T);

        assertThat(AlertStatus.step(inactive, true, T.minusSeconds(60), Duration.ZERO))
                .isEqualTo(new Step(inactive, null, null));
    }

    @Test
    void shouldRoundTripThroughStoreFormat() {
        AlertStatusSerde serde = new AlertStatusSerde();
        AlertStatus firing = new AlertStatus(Phase.FIRING, T, T.plusSeconds(120));
        AlertStatus inactive = new AlertStatus(Phase.INACTIVE, null, T);

        assertThat(serde.deserialize("t", serde.serialize("t", firing))).isEqualTo(firing);
        assertThat(serde.deserialize("t", serde.serialize("t", inactive))).isEqualTo(inactive);
    }

    @Test
    void shouldRejectUnknownStoreFormatVersion() {
        byte[] bytes = new byte[18];
        bytes[0] = 9;

        assertThatIllegalStateException()
                .isThrownBy(() -> new AlertStatusSerde().deserialize("alert-state-changelog", bytes))
                .withMessage("alert state in alert-state-changelog has 18 bytes, version 9:"
                        + " expected version 1 or 2");
    }
}
