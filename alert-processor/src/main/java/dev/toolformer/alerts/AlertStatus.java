package dev.toolformer.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import dev.toolformer.schema.AlertState;

/**
 * The stored state of one alert (one fingerprint), and its lifecycle on event time:
 * inactive → pending → firing → resolved (inactive again). {@code lastEvaluated} is kept while
 * inactive too, so a late, older window cannot revive a resolved alert.
 *
 * @param phase         where the alert is in its lifecycle
 * @param activeSince   event time the condition started to hold; null while inactive
 * @param lastEvaluated the newest window_end evaluated for this alert
 */
record AlertStatus(Phase phase, Instant activeSince, Instant lastEvaluated) {

    enum Phase { INACTIVE, PENDING, FIRING }

    AlertStatus {
        Objects.requireNonNull(phase, "phase == null");
        Objects.requireNonNull(lastEvaluated, "lastEvaluated == null");
        if ((phase == Phase.INACTIVE) != (activeSince == null)) {
            throw new IllegalArgumentException("activeSince must be null exactly when inactive: " + phase);
        }
    }

    /**
     * The result of evaluating one window.
     *
     * @param next        the state to store
     * @param transition  the state to announce, or null if the alert stays where it was
     * @param activeSince the announced alert's active_since
     */
    record Step(AlertStatus next, AlertState transition, Instant activeSince) {
    }

    /** Evaluates one window ending at {@code eventTime}; {@code current} is null for a new fingerprint. */
    static Step step(AlertStatus current, boolean holds, Instant eventTime, Duration forDuration) {
        if (current != null && eventTime.isBefore(current.lastEvaluated)) {
            return new Step(current, null, null);
        }
        Phase phase = current == null ? Phase.INACTIVE : current.phase;
        if (!holds) {
            AlertStatus inactive = new AlertStatus(Phase.INACTIVE, null, eventTime);
            return phase == Phase.INACTIVE ? new Step(inactive, null, null)
                    : new Step(inactive, AlertState.RESOLVED, current.activeSince);
        }
        Instant since = phase == Phase.INACTIVE ? eventTime : current.activeSince;
        boolean heldLongEnough = Duration.between(since, eventTime).compareTo(forDuration) >= 0;
        Phase next = heldLongEnough ? Phase.FIRING : Phase.PENDING;
        AlertState transition = next == phase ? null : AlertState.valueOf(next.name());
        return new Step(new AlertStatus(next, since, eventTime), transition, since);
    }
}
