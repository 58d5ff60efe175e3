package dev.toolformer.alerts.incident;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;

/**
 * What a restarted incident responder takes back from the incident log (toolformer.incidents) and the latest
 * alert events, so that a restart neither repeats nor drops anything:
 * <ul>
 *   <li>a group's last notification is remembered: alerts it told as firing are not notified again before the
 *       group changes or its repeat interval is up, and their resolution is still sent;</li>
 *   <li>a firing alert that no notification has told yet (the previous instance stopped inside group_wait) is
 *       queued for its receivers;</li>
 *   <li>the firing episodes already acted upon, the runs counting towards cooldowns and hourly caps, and the
 *       escalations still due (see {@link ResponsePlanner#recall}).</li>
 * </ul>
 * Notifications are at least once: an instance killed between a webhook's answer and the write of its
 * {@code notify} record sends that notification again after the restart.
 */
final class IncidentRecovery {
    /** The parameter of a {@code notify} record naming the notification (one webhook call) it was part of. */
    static final String NOTIFICATION = "notification";

    /** What was recovered, for the log. */
    record Summary(int records, int recalledAlerts, int queuedAlerts) {
    }

    private IncidentRecovery() {
    }

    /** How far back the incident log matters: a firing group is notified at least once per repeat interval. */
    static Duration lookback(IncidentPolicy policy) {
        Duration lookback = policy.route().repeatInterval().plus(policy.route().groupInterval());
        Duration hour = Duration.ofHours(1); // the hourly caps
        if (lookback.compareTo(hour) < 0) {
            lookback = hour;
        }
        for (IncidentPolicy.Rule rule : policy.rules()) {
            for (IncidentPolicy.Action action : rule.actions()) {
                if (action.after() != null && action.after().plus(hour).compareTo(lookback) > 0) {
                    lookback = action.after().plus(hour);
                }
            }
        }
        return lookback;
    }

    /**
     * Recovers {@code planner} and {@code grouper} from the incident {@code log} (any order) and the latest
     * event of every alert.
     *
     * @param notSince firing alerts whose event is older than this are not queued for notification
     */
    static Summary recover(List<IncidentAction> log, Map<String, AlertEvent> latest, ResponsePlanner planner,
                           NotificationGrouper grouper, Instant now, Instant notSince) {
        List<IncidentAction> ordered = new ArrayList<>(log);
        ordered.sort(Comparator.comparing(IncidentAction::getExecutedAt));
        planner.recall(ordered, latest);

        // The last notification of every group, and every (episode, receiver) some notification told as firing.
        Map<String, Map<String, List<IncidentAction>>> byGroup = new HashMap<>();
        Set<String> told = new HashSet<>();
        for (IncidentAction action : ordered) {
            if (!action.getAction().equals("notify")) {
                continue;
            }
            Map<String, String> params = action.getParameters();
            String group = params.get("group");
            String receiver = params.get("receiver");
            if (group == null || receiver == null) {
                continue;
            }
            if ("FIRING".equals(params.get("state"))) {
                told.add(action.getIncidentId() + "|" + receiver);
            }
            String notification = params.getOrDefault(NOTIFICATION, action.getExecutedAt().toString());
            byGroup.computeIfAbsent(group, g -> new LinkedHashMap<>())
                    .computeIfAbsent(notification, n -> new ArrayList<>()).add(action);
        }
        int recalled = 0;
        for (Map<String, List<IncidentAction>> notifications : byGroup.values()) {
            List<IncidentAction> last = notifications.values().stream()
                    .max(Comparator.comparing(n -> n.get(0).getExecutedAt())).orElseThrow();
            for (IncidentAction told1 : last) {
                AlertEvent alert = latest.get(told1.getAlertFingerprint());
                // Told as firing, and the latest event is of that same episode (still firing, or resolved since).
                if ("FIRING".equals(told1.getParameters().get("state")) && alert != null
                        && alert.getState() != AlertState.PENDING
                        && ResponsePlanner.episode(alert).equals(told1.getIncidentId())) {
                    grouper.recall(told1.getParameters().get("receiver"), alert, told1.getExecutedAt());
                    recalled++;
                }
            }
        }
        int queued = 0;
        for (AlertEvent alert : latest.values()) {
            if (alert.getState() != AlertState.FIRING || alert.getSilenced()
                    || alert.getEventTime().isBefore(notSince)) {
                continue;
            }
            for (String receiver : planner.receivers(alert)) {
                if (!told.contains(ResponsePlanner.episode(alert) + "|" + receiver)) {
                    grouper.add(receiver, alert, now);
                    queued++;
                }
            }
        }
        return new Summary(ordered.size(), recalled, queued);
    }
}
