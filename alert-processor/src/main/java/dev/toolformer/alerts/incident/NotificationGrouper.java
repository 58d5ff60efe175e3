package dev.toolformer.alerts.incident;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;

/**
 * Alertmanager's notification grouping, per receiver: alerts with the same values of the route's
 * {@code group_by} labels share a group. A new group is sent after {@code group_wait}; a changed group
 * (an alert added or resolved) no sooner than {@code group_interval} after its last notification; an
 * unchanged group with a firing, unacknowledged alert again after {@code repeat_interval}. Silenced and
 * inhibited alerts are left out when a group is sent. Pure and single-threaded.
 */
final class NotificationGrouper {

    /** One notification: the receiver, the group and its alerts (firing ones first). */
    record Notification(String receiver, String groupKey, Map<String, String> groupLabels, List<AlertEvent> alerts) {
        boolean firing() {
            return alerts.stream().anyMatch(a -> a.getState() == AlertState.FIRING);
        }
    }

    private static final class Group {
        final String receiver;
        final Map<String, String> labels;
        final Map<String, AlertEvent> alerts = new LinkedHashMap<>();
        final Set<String> notified = new HashSet<>();
        final Instant created;
        Instant lastSent;
        boolean changed = true;

        Group(String receiver, Map<String, String> labels, Instant created) {
            this.receiver = receiver;
            this.labels = labels;
            this.created = created;
        }
    }

    private final IncidentPolicy.Route route;
    private final Map<String, Group> groups = new LinkedHashMap<>();

    NotificationGrouper(IncidentPolicy.Route route) {
        this.route = route;
    }

    /** Adds a firing alert to its group of {@code receiver}; the same alert twice is one alert. */
    void add(String receiver, AlertEvent alert, Instant now) {
        Map<String, String> labels = groupLabels(alert);
        Group group = groups.computeIfAbsent(receiver + ":" + labels, k -> new Group(receiver, labels, now));
        AlertEvent previous = group.alerts.put(alert.getFingerprint(), alert);
        if (previous == null || previous.getState() != AlertState.FIRING) {
            group.changed = true;
        }
    }

    /**
     * After a restart, puts back an alert that the receiver's last notification of its group, sent at
     * {@code sentAt}, told as firing: no new notification until the group changes or its repeat interval is up;
     * if {@code alert} has resolved since, the resolution is due as a change of the group.
     */
    void recall(String receiver, AlertEvent alert, Instant sentAt) {
        Map<String, String> labels = groupLabels(alert);
        Group group = groups.computeIfAbsent(receiver + ":" + labels, k -> {
            Group recalled = new Group(receiver, labels, sentAt);
            recalled.changed = false;
            return recalled;
        });
        if (group.lastSent == null || group.lastSent.isBefore(sentAt)) {
            group.lastSent = sentAt;
        }
        group.alerts.put(alert.getFingerprint(), alert);
        group.notified.add(alert.getFingerprint());
        if (alert.getState() == AlertState.RESOLVED) {
            group.changed = true;
        }
    }

    private Map<String, String> groupLabels(AlertEvent alert) {
        Map<String, String> labels = new TreeMap<>();
        route.groupBy().forEach(l -> labels.put(l, alert.getLabels().getOrDefault(l, "")));
        return labels;
    }

    /** Marks the alert resolved in every group that holds it. */
    void resolve(AlertEvent resolved) {
        for (Group group : groups.values()) {
            if (group.alerts.containsKey(resolved.getFingerprint())) {
                group.alerts.put(resolved.getFingerprint(), resolved);
                group.changed = true;
            }
        }
    }

    /** The notifications due at {@code now}; groups left with no alert are forgotten. */
    List<Notification> due(Instant now, Mutes mutes) {
        List<Notification> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, Group>> it = groups.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Group> entry = it.next();
            Group group = entry.getValue();
            if (isDue(group, now, mutes)) {
                List<AlertEvent> alerts = visible(group, now, mutes);
                if (!alerts.isEmpty()) {
                    out.add(new Notification(group.receiver, entry.getKey(), Map.copyOf(group.labels), alerts));
                }
                group.lastSent = now;
                group.changed = false;
                group.alerts.values().removeIf(a -> a.getState() == AlertState.RESOLVED);
                group.notified.clear();
                alerts.forEach(a -> group.notified.add(a.getFingerprint()));
            }
            if (group.alerts.isEmpty() && group.lastSent != null) {
                it.remove();
            }
        }
        return out;
    }

    private boolean isDue(Group group, Instant now, Mutes mutes) {
        if (group.lastSent == null) {
            return !now.isBefore(group.created.plus(route.groupWait()));
        }
        if (group.changed) {
            return !now.isBefore(group.lastSent.plus(route.groupInterval()));
        }
        return !now.isBefore(group.lastSent.plus(route.repeatInterval()))
                && group.alerts.values().stream().anyMatch(a -> a.getState() == AlertState.FIRING
                && !mutes.acknowledged(a, now) && mutes.muted(a, now).isEmpty());
    }

    /** Firing alerts that are not muted, then resolved alerts that were notified as firing. */
    private static List<AlertEvent> visible(Group group, Instant now, Mutes mutes) {
        List<AlertEvent> firing = new ArrayList<>();
        List<AlertEvent> resolved = new ArrayList<>();
        for (AlertEvent a : group.alerts.values()) {
            if (a.getState() == AlertState.FIRING && mutes.muted(a, now).isEmpty()) {
                firing.add(a);
            } else if (a.getState() == AlertState.RESOLVED && group.notified.contains(a.getFingerprint())) {
                resolved.add(a);
            }
        }
        firing.addAll(resolved);
        return firing;
    }
}
