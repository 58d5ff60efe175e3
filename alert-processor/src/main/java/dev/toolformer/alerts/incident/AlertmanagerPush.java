package dev.toolformer.alerts.incident;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;

/**
 * Keeps Alertmanager told: Alertmanager takes an alert that is not sent again within its {@code resolve_timeout}
 * as resolved, so the alerts a receiver with an {@code alertmanager-api} webhook was notified of are posted again
 * every {@link #RESEND} while they fire (and are still firing on {@code toolformer.alerts}); their resolution is
 * the grouped notification's. Thread-safe: notifications are sent from worker threads.
 */
final class AlertmanagerPush {
    /** How often firing alerts are posted again: well within Alertmanager's default resolve_timeout (5 m). */
    static final Duration RESEND = Duration.ofMinutes(1);
    /** How long a posted firing alert lasts in Alertmanager unless posted again. */
    static final Duration EXPIRY = RESEND.multipliedBy(4);

    /** The receivers with an {@code alertmanager-api} webhook. */
    private final Set<String> pushing;
    /** Receiver name to the firing alerts (by fingerprint) it was last told of. */
    private final Map<String, Map<String, AlertEvent>> told = new ConcurrentHashMap<>();
    private Instant lastResend = Instant.EPOCH;

    AlertmanagerPush(IncidentPolicy policy) {
        this.pushing = policy.receivers().values().stream()
                .filter(r -> r.webhooks().stream().anyMatch(h -> h.format() == IncidentPolicy.Format.ALERTMANAGER_API))
                .map(IncidentPolicy.Receiver::name).collect(Collectors.toUnmodifiableSet());
    }

    /** Records what a sent notification told its receiver: its firing alerts to re-send, its resolved ones not. */
    void sent(Notification n) {
        if (!pushing.contains(n.receiver())) {
            return;
        }
        Map<String, AlertEvent> alerts = told.computeIfAbsent(n.receiver(), r -> new ConcurrentHashMap<>());
        for (AlertEvent alert : n.alerts()) {
            if (alert.getState() == AlertState.FIRING) {
                alerts.put(alert.getFingerprint(), alert);
            } else {
                alerts.remove(alert.getFingerprint());
            }
        }
    }

    /**
     * Every {@link #RESEND}: one notification per receiver of the alerts it was told of that still fire
     * ({@code firing}, by fingerprint), for its {@code alertmanager-api} webhooks only.
     */
    synchronized List<Notification> due(Instant now, Map<String, AlertEvent> firing) {
        if (now.isBefore(lastResend.plus(RESEND))) {
            return List.of();
        }
        lastResend = now;
        List<Notification> due = new ArrayList<>();
        told.forEach((receiver, alerts) -> {
            alerts.keySet().retainAll(firing.keySet());
            if (!alerts.isEmpty()) {
                // As they are now (value, annotations), not as first told.
                due.add(new Notification(receiver, "alertmanager-resend:" + receiver, Map.of(),
                        alerts.keySet().stream().map(firing::get).toList()));
            }
        });
        return due;
    }
}
