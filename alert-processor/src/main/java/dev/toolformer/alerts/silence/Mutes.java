package dev.toolformer.alerts.silence;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.Silence;

/**
 * Why an alert must not be notified or acted upon right now: a silence, an inhibiting alert, or (for
 * repeats and escalation) an acknowledgement. Reads live views, so it reflects entries made after the
 * alert's own event.
 */
public final class Mutes {
    private final Map<String, Silence> silences;
    private final Map<String, AlertEvent> firing;
    private final List<IncidentPolicy.Inhibit> inhibitions;

    /**
     * @param silences    entries of toolformer.silences by key
     * @param firing      alerts currently firing, by fingerprint
     * @param inhibitions the policy's inhibit rules
     */
    public Mutes(Map<String, Silence> silences, Map<String, AlertEvent> firing, List<IncidentPolicy.Inhibit> inhibitions) {
        this.silences = silences;
        this.firing = firing;
        this.inhibitions = inhibitions;
    }

    /** The reason the alert is muted (a silence or an inhibiting alert), or empty. */
    public Optional<String> muted(AlertEvent alert, Instant now) {
        Optional<Silence> silence = Silences.silencing(silences.values(), alert.getLabels(), now);
        if (silence.isPresent()) {
            return Optional.of("silenced by " + silence.get().getId());
        }
        return inhibitedBy(alert).map(source -> "inhibited by " + source);
    }

    public boolean acknowledged(AlertEvent alert, Instant now) {
        Silence ack = silences.get("ack:" + alert.getFingerprint());
        return ack != null && Silences.acknowledges(ack, alert.getFingerprint(), alert.getActiveSince(), now);
    }

    /** The fingerprint of a firing alert that inhibits {@code alert}, if any. */
    Optional<String> inhibitedBy(AlertEvent alert) {
        for (IncidentPolicy.Inhibit rule : inhibitions) {
            if (!contains(alert.getLabels(), rule.targetMatch().entrySet())) {
                continue;
            }
            for (AlertEvent source : firing.values()) {
                if (!source.getFingerprint().equals(alert.getFingerprint())
                        && contains(source.getLabels(), rule.sourceMatch().entrySet())
                        && rule.equal().stream().allMatch(l -> alert.getLabels().containsKey(l)
                        && Objects.equals(alert.getLabels().get(l), source.getLabels().get(l)))) {
                    return Optional.of(source.getFingerprint());
                }
            }
        }
        return Optional.empty();
    }

    private static boolean contains(Map<String, String> labels, Collection<Map.Entry<String, String>> required) {
        return required.stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
