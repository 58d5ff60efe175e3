package dev.toolformer.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.toolformer.schema.AlertState;

/**
 * The stored state of one alert (one fingerprint), and its lifecycle on event time:
 * inactive → pending → firing → resolved (inactive again). {@code lastEvaluated} is kept while
 * inactive too, so a late, older record cannot revive a resolved alert. The series labels and the
 * last value are kept so that punctuation can announce a transition without a new record.
 *
 * @param phase         where the alert is in its lifecycle
 * @param activeSince   event time the condition started to hold; null while inactive
 * @param lastEvaluated the newest event time evaluated (for absent rules: wall-clock time of the last record)
 * @param value         the last value observed
 * @param series        the series labels
 * @param clearSince    for a firing alert kept firing by {@code keep_firing_for}: the event time since which
 *                      the condition has not held; null otherwise
 */
record AlertStatus(Phase phase, Instant activeSince, Instant lastEvaluated, double value, Map<String, String> series,
                   Instant clearSince) {

    enum Phase { INACTIVE, PENDING, FIRING }

    AlertStatus {
        Objects.requireNonNull(phase, "phase == null");
        Objects.requireNonNull(lastEvaluated, "lastEvaluated == null");
        if ((phase == Phase.INACTIVE) != (activeSince == null)) {
            throw new IllegalArgumentException("activeSince must be null exactly when inactive: " + phase);
        }
        if (clearSince != null && phase != Phase.FIRING) {
            throw new IllegalArgumentException("clearSince must be null unless firing: " + phase);
        }
        series = Map.copyOf(new TreeMap<>(Objects.requireNonNull(series, "series == null")));
    }

    AlertStatus(Phase phase, Instant activeSince, Instant lastEvaluated, double value, Map<String, String> series) {
        this(phase, activeSince, lastEvaluated, value, series, null);
    }

    AlertStatus(Phase phase, Instant activeSince, Instant lastEvaluated) {
        this(phase, activeSince, lastEvaluated, Double.NaN, Map.of());
    }

    @Override
    public boolean equals(Object o) {
        // Double.compare so NaN values compare equal, as the record default does for boxed doubles.
        return o instanceof AlertStatus s && phase == s.phase && Objects.equals(activeSince, s.activeSince)
                && lastEvaluated.equals(s.lastEvaluated) && Double.compare(value, s.value) == 0
                && series.equals(s.series) && Objects.equals(clearSince, s.clearSince);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, activeSince, lastEvaluated, value, series, clearSince);
    }

    /**
     * The result of evaluating one record.
     *
     * @param next        the state to store
     * @param transition  the state to announce, or null if the alert stays where it was
     * @param activeSince the announced alert's active_since
     */
    record Step(AlertStatus next, AlertState transition, Instant activeSince) {
    }

    /** Evaluates one record with event time {@code eventTime}; {@code current} is null for a new fingerprint. */
    static Step step(AlertStatus current, boolean holds, Instant eventTime, Duration forDuration) {
        return step(current, holds, eventTime, forDuration, Duration.ZERO, Double.NaN, Map.of());
    }

    /**
     * Evaluates one record. A firing alert whose condition stops holding stays firing until the condition has
     * not held on any record for {@code keepFiringFor} (event time); a pending one resolves at once.
     */
    static Step step(AlertStatus current, boolean holds, Instant eventTime, Duration forDuration,
                     Duration keepFiringFor, double value, Map<String, String> series) {
        if (current != null && eventTime.isBefore(current.lastEvaluated)) {
            return new Step(current, null, null);
        }
        Phase phase = current == null ? Phase.INACTIVE : current.phase;
        if (!holds) {
            return phase == Phase.FIRING ? clear(current, eventTime, keepFiringFor, value, series)
                    : resolve(current, eventTime, value, series);
        }
        Instant since = phase == Phase.INACTIVE ? eventTime : current.activeSince;
        boolean heldLongEnough = Duration.between(since, eventTime).compareTo(forDuration) >= 0;
        Phase next = heldLongEnough ? Phase.FIRING : Phase.PENDING;
        AlertState transition = next == phase ? null : AlertState.valueOf(next.name());
        return new Step(new AlertStatus(next, since, eventTime, value, series), transition, since);
    }

    /** A firing alert on a record where the condition does not hold: kept firing, or resolved. */
    private static Step clear(AlertStatus firing, Instant eventTime, Duration keepFiringFor, double value,
                              Map<String, String> series) {
        Instant clearSince = firing.clearSince == null ? eventTime : firing.clearSince;
        if (Duration.between(clearSince, eventTime).compareTo(keepFiringFor) >= 0) {
            return resolve(firing, eventTime, value, series);
        }
        return new Step(new AlertStatus(Phase.FIRING, firing.activeSince, eventTime, value, series, clearSince),
                null, firing.activeSince);
    }

    private static Step resolve(AlertStatus current, Instant eventTime, double value, Map<String, String> series) {
        AlertStatus inactive = new AlertStatus(Phase.INACTIVE, null, eventTime, value, series);
        return current == null || current.phase == Phase.INACTIVE ? new Step(inactive, null, null)
                : new Step(inactive, AlertState.RESOLVED, current.activeSince);
    }
}
