package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

import dev.toolformer.alerts.AlertStatus.Phase;
import dev.toolformer.alerts.AlertStatus.Step;
import dev.toolformer.schema.AlertState;
import org.junit.jupiter.api.Test;

class AlertStatusTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration TWO_MINUTES = Duration.ofMinutes(2);
    private static final Map<String, String> SERIES = Map.of("tool", "search", "provider", "openai");

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
                        + " expected version 1, 2 or 3");
    }

    @Test
    void shouldRoundTripClearSinceAndSeriesThroughVersion3() {
        AlertStatusSerde serde = new AlertStatusSerde();
        AlertStatus kept = new AlertStatus(Phase.FIRING, T, T.plusSeconds(180), 0.002, SERIES, T.plusSeconds(120));

        byte[] bytes = serde.serialize("t", kept);

        assertThat(bytes[0]).isEqualTo((byte) 3);
        assertThat(serde.deserialize("t", bytes)).isEqualTo(kept);
    }

    @Test
    void shouldReadVersion2WrittenByThePreviousRelease() {
        // Version 2: phase FIRING, active_since T, last evaluated T+2m, value 0.5, tool=search, provider=openai.
        byte[] v2 = HexFormat.of().parseHex("02020000019ca9450a000000019ca946dec03fe0000000000000000200087072"
                + "6f766964657200066f70656e61690004746f6f6c0006736561726368");

        assertThat(new AlertStatusSerde().deserialize("t", v2))
                .isEqualTo(new AlertStatus(Phase.FIRING, T, T.plusSeconds(120), 0.5, SERIES, null));
    }

    @Test
    void shouldReadVersion1WrittenByOlderReleases() {
        byte[] v1 = HexFormat.of().parseHex("01020000019ca9450a000000019ca946dec0");

        assertThat(new AlertStatusSerde().deserialize("t", v1))
                .isEqualTo(new AlertStatus(Phase.FIRING, T, T.plusSeconds(120)));
    }

    @Test
    void shouldKeepFiringWithoutTransitionWhileConditionHasNotHeldForKeepFiringFor() {
        AlertStatus firing = new AlertStatus(Phase.FIRING, T, T.plusSeconds(120));

        Step first = AlertStatus.step(firing, false, T.plusSeconds(180), TWO_MINUTES, TWO_MINUTES, 0.0, SERIES);
        Step second = AlertStatus.step(first.next(), false, T.plusSeconds(299), TWO_MINUTES, TWO_MINUTES, 0.0,
                SERIES);

        assertThat(first).isEqualTo(new Step(new AlertStatus(Phase.FIRING, T, T.plusSeconds(180), 0.0, SERIES,
                T.plusSeconds(180)), null, T));
        assertThat(second).isEqualTo(new Step(new AlertStatus(Phase.FIRING, T, T.plusSeconds(299), 0.0, SERIES,
                T.plusSeconds(180)), null, T));
    }

    @Test
    void shouldResolveOnceConditionHasNotHeldForKeepFiringFor() {
        AlertStatus kept = new AlertStatus(Phase.FIRING, T, T.plusSeconds(240), 0.0, SERIES, T.plusSeconds(180));

        assertThat(AlertStatus.step(kept, false, T.plusSeconds(300), TWO_MINUTES, TWO_MINUTES, 0.0, SERIES))
                .isEqualTo(new Step(new AlertStatus(Phase.INACTIVE, null, T.plusSeconds(300), 0.0, SERIES),
                        AlertState.RESOLVED, T));
    }

    @Test
    void shouldRestartKeepFiringClockWhenConditionHoldsAgain() {
        AlertStatus kept = new AlertStatus(Phase.FIRING, T, T.plusSeconds(240), 0.0, SERIES, T.plusSeconds(180));

        Step holds = AlertStatus.step(kept, true, T.plusSeconds(300), TWO_MINUTES, TWO_MINUTES, 0.5, SERIES);
        Step clearAgain = AlertStatus.step(holds.next(), false, T.plusSeconds(360), TWO_MINUTES, TWO_MINUTES, 0.0,
                SERIES);

        assertThat(holds).isEqualTo(new Step(new AlertStatus(Phase.FIRING, T, T.plusSeconds(300), 0.5, SERIES),
                null, T));
        assertThat(clearAgain.transition()).isNull();
        assertThat(clearAgain.next().clearSince()).isEqualTo(T.plusSeconds(360));
    }

    @Test
    void shouldResolvePendingAlertAtOnceWhateverKeepFiringFor() {
        AlertStatus pending = new AlertStatus(Phase.PENDING, T, T.plusSeconds(60), 0.5, SERIES);

        assertThat(AlertStatus.step(pending, false, T.plusSeconds(120), TWO_MINUTES, TWO_MINUTES, 0.0, SERIES))
                .isEqualTo(new Step(new AlertStatus(Phase.INACTIVE, null, T.plusSeconds(120), 0.0, SERIES),
                        AlertState.RESOLVED, T));
    }

    @Test
    void shouldRejectClearSinceUnlessFiring() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertStatus(Phase.PENDING, T, T, 0.5, SERIES, T))
                .withMessage("clearSince must be null unless firing: PENDING");
    }
}
