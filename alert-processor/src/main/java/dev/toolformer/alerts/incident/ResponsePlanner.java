package dev.toolformer.alerts.incident;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.toolformer.alerts.AlertEvaluator;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what the incident rules do about each alert transition: which actions run, which are skipped
 * by cooldown or hourly cap, which receivers are notified, and which escalations come due. Pure and
 * single-threaded (the responder's poll thread); it performs nothing itself.
 * <p>
 * A rule counted per alert ({@code scope: alert}) is decided here, by the owner of the alert's partition of
 * toolformer.alerts. A rule counted per rule (the default) is not: its firing alerts come from every partition,
 * so every replica would keep a count of its own. They are {@link Forward forwarded} to
 * toolformer.incident-triggers keyed by the rule's name, and decided by {@link #onTrigger} on the one instance
 * that owns that key's partition, which takes the rule's runs back from the incident log when it becomes the
 * owner ({@link #recallRuns}).
 */
final class ResponsePlanner {
    private static final Logger LOG = LoggerFactory.getLogger(ResponsePlanner.class);
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration TRIGGER_MEMORY = Duration.ofDays(1);

    /** Something the responder must do. */
    sealed interface Task {
        AlertEvent alert();
    }

    /** Run an action; {@code restore} undoes a throttle when the alert resolves. */
    record Run(IncidentPolicy.Rule rule, IncidentPolicy.Action action, AlertEvent alert, boolean restore)
            implements Task {
    }

    /** Record an action as skipped. */
    record Skip(IncidentPolicy.Rule rule, IncidentPolicy.Action action, AlertEvent alert, ActionOutcome outcome,
                String detail) implements Task {
    }

    /** Add the alert to the receiver's notification group. */
    record Notify(String receiver, String incidentRule, AlertEvent alert) implements Task {
    }

    /**
     * Hand the alert to the owner of the rule's cooldown (toolformer.incident-triggers, keyed by rule name): a
     * firing one to be decided there, a resolved one so that the notification groups there learn of it.
     */
    record Forward(IncidentPolicy.Rule rule, AlertEvent alert) implements Task {
    }

    private record Escalation(Instant due, IncidentPolicy.Rule rule, IncidentPolicy.Action action, AlertEvent alert) {
    }

    private final IncidentPolicy policy;
    private final Map<String, Deque<Instant>> history = new HashMap<>();
    private final Set<String> episodes = new HashSet<>();
    /**
     * Per per-rule rule, the episodes whose triggers were decided (and when): a redelivered trigger runs nothing.
     * Kept for a day, far longer than a trigger can be redelivered.
     */
    private final Map<String, Map<String, Instant>> triggered = new HashMap<>();
    private final List<Escalation> escalations = new ArrayList<>();

    ResponsePlanner(IncidentPolicy policy) {
        this.policy = policy;
    }

    /** The tasks for one alert event seen at {@code now}. */
    List<Task> onEvent(AlertEvent alert, Instant now, Mutes mutes) {
        return switch (alert.getState()) {
            case PENDING -> List.of();
            case FIRING -> firing(alert, now, mutes);
            case RESOLVED -> resolved(alert);
        };
    }

    private List<Task> firing(AlertEvent alert, Instant now, Mutes mutes) {
        if (!episodes.add(episode(alert))) {
            return List.of(); // the same firing episode again (a redelivery): acted on already
        }
        Optional<String> muted = mutes.muted(alert, now);
        if (muted.isPresent() || alert.getSilenced()) {
            LOG.info("alert {} fires but is {}: no notification, no incident action", alert.getFingerprint(),
                    muted.orElse("silenced"));
            return List.of();
        }
        List<Task> tasks = new ArrayList<>();
        if (policy.route().receiver() != null) {
            tasks.add(new Notify(policy.route().receiver(), "", alert));
        }
        for (IncidentPolicy.Rule rule : policy.rules()) {
            if (rule.matches(alert.getLabels())) {
                if (rule.scope() == IncidentPolicy.Scope.RULE) {
                    tasks.add(new Forward(rule, alert));
                } else {
                    tasks.addAll(execute(rule, alert, now));
                }
            }
        }
        return tasks;
    }

    /**
     * The tasks for a firing alert forwarded to this instance as the owner of {@code ruleName}'s cooldown and
     * hourly cap; none for a trigger decided already or a rule no longer configured.
     */
    List<Task> onTrigger(String ruleName, AlertEvent alert, Instant now) {
        if (alert.getState() != AlertState.FIRING) {
            return List.of(); // a resolve: for the notification groups (the responder's), nothing to decide
        }
        Optional<IncidentPolicy.Rule> rule = policy.rules().stream()
                .filter(r -> r.name().equals(ruleName) && r.scope() == IncidentPolicy.Scope.RULE).findFirst();
        if (rule.isEmpty()) {
            LOG.warn("trigger of {} for {}: no such per-rule incident rule here; ignored", ruleName,
                    alert.getFingerprint());
            return List.of();
        }
        Map<String, Instant> decided = triggered.computeIfAbsent(ruleName, k -> new HashMap<>());
        decided.values().removeIf(at -> at.isBefore(now.minus(TRIGGER_MEMORY)));
        if (decided.putIfAbsent(episode(alert), now) != null) {
            return List.of(); // redelivered: decided already
        }
        return execute(rule.get(), alert, now);
    }

    private static String historyKey(IncidentPolicy.Rule rule, String fingerprint) {
        return rule.scope() == IncidentPolicy.Scope.RULE ? rule.name() : rule.name() + "|" + fingerprint;
    }

    private List<Task> execute(IncidentPolicy.Rule rule, AlertEvent alert, Instant now) {
        Deque<Instant> runs = history.computeIfAbsent(historyKey(rule, alert.getFingerprint()), k -> new ArrayDeque<>());
        while (!runs.isEmpty() && !runs.peekFirst().isAfter(now.minus(HOUR))) {
            runs.removeFirst();
        }
        List<Task> tasks = new ArrayList<>();
        if (!runs.isEmpty() && now.isBefore(runs.peekLast().plus(rule.cooldown()))) {
            String detail = "incident rule " + rule.name() + " ran at " + runs.peekLast() + ", within its cooldown of "
                    + rule.cooldown();
            rule.actions().forEach(a -> tasks.add(new Skip(rule, a, alert, ActionOutcome.SKIPPED_COOLDOWN, detail)));
            return tasks;
        }
        if (runs.size() >= rule.maxPerHour()) {
            String detail = "incident rule " + rule.name() + " ran " + runs.size() + " times in the last hour, its cap";
            rule.actions().forEach(a -> tasks.add(new Skip(rule, a, alert, ActionOutcome.SKIPPED_RATE_LIMIT, detail)));
            return tasks;
        }
        runs.addLast(now);
        for (IncidentPolicy.Action action : rule.actions()) {
            switch (action.type()) {
                case NOTIFY -> tasks.add(new Notify(action.receiver(), rule.name(), alert));
                case ESCALATE -> escalations.add(new Escalation(now.plus(action.after()), rule, action, alert));
                default -> tasks.add(new Run(rule, action, alert, false));
            }
        }
        return tasks;
    }

    private List<Task> resolved(AlertEvent alert) {
        episodes.remove(episode(alert));
        escalations.removeIf(e -> e.alert.getFingerprint().equals(alert.getFingerprint()));
        if ("PENDING".equals(alert.getAnnotations().get(AlertEvaluator.RESOLVED_FROM))) {
            return List.of(); // it never fired: no incident action ran, nothing to restore
        }
        // Restoring does not depend on what this instance remembers: after a restart (or when the opening
        // was skipped) lifting a throttle that is not there is harmless, leaving one in place is not. A breaker
        // is not closed here: the alert resolved because its probes and real calls succeed, so it closed itself.
        List<Task> tasks = new ArrayList<>();
        for (IncidentPolicy.Rule rule : policy.rules()) {
            if (rule.matches(alert.getLabels())) {
                for (IncidentPolicy.Action action : rule.actions()) {
                    if (action.type() == IncidentPolicy.ActionType.THROTTLE) {
                        tasks.add(new Run(rule, action, alert, true));
                    }
                }
                if (rule.scope() == IncidentPolicy.Scope.RULE
                        && rule.actions().stream().anyMatch(a -> a.type() == IncidentPolicy.ActionType.NOTIFY)) {
                    // The rule's owner notified the firing alert (its group lives there): it must see the resolve.
                    tasks.add(new Forward(rule, alert));
                }
            }
        }
        return tasks;
    }

    /** Escalations due at {@code now} whose alert still fires unacknowledged and unmuted. */
    List<Task> due(Instant now, Mutes mutes, Map<String, AlertEvent> firing) {
        List<Task> tasks = new ArrayList<>();
        for (Iterator<Escalation> it = escalations.iterator(); it.hasNext(); ) {
            Escalation e = it.next();
            if (now.isBefore(e.due)) {
                continue;
            }
            it.remove();
            AlertEvent current = firing.get(e.alert.getFingerprint());
            if (current == null || !current.getActiveSince().equals(e.alert.getActiveSince())) {
                LOG.info("no escalation of {}: no longer firing", e.alert.getFingerprint());
            } else if (mutes.acknowledged(current, now)) {
                LOG.info("no escalation of {}: acknowledged", e.alert.getFingerprint());
            } else if (mutes.muted(current, now).isPresent()) {
                LOG.info("no escalation of {}: {}", e.alert.getFingerprint(), mutes.muted(current, now).get());
            } else {
                tasks.add(new Run(e.rule, e.action, current, false));
            }
        }
        return tasks;
    }

    /**
     * The receivers a firing alert is notified to: the route's receiver and the receivers of the notify actions of
     * the incident rules it matches.
     */
    Set<String> receivers(AlertEvent alert) {
        Set<String> receivers = new LinkedHashSet<>();
        if (policy.route().receiver() != null) {
            receivers.add(policy.route().receiver());
        }
        for (IncidentPolicy.Rule rule : policy.rules()) {
            if (rule.matches(alert.getLabels())) {
                rule.actions().stream().filter(a -> a.type() == IncidentPolicy.ActionType.NOTIFY)
                        .forEach(a -> receivers.add(a.receiver()));
            }
        }
        return receivers;
    }

    /**
     * After a restart, takes back from the incident log (oldest first) what an earlier instance did: the firing
     * episodes it acted on (a redelivered FIRING event runs nothing twice), the runs that count towards each
     * rule's cooldown and hourly cap, and the escalations still to come for alerts that still fire.
     *
     * @param latest the latest event of every alert, by fingerprint
     */
    void recall(List<IncidentAction> log, Map<String, AlertEvent> latest) {
        Set<String> runsSeen = new HashSet<>();
        Set<String> escalated = new HashSet<>();
        for (IncidentAction action : log) {
            String incidentRule = action.getParameters().get("incident_rule");
            if (incidentRule == null) {
                continue; // a notification: the grouper's business
            }
            AlertEvent alert = latest.get(action.getAlertFingerprint());
            boolean stillFiring = alert != null && alert.getState() == AlertState.FIRING
                    && episode(alert).equals(action.getIncidentId());
            if (stillFiring) {
                episodes.add(action.getIncidentId());
            }
            if (action.getAction().equals(IncidentPolicy.ActionType.ESCALATE.key())) {
                escalated.add(incidentRule + "|" + action.getIncidentId());
            }
            if (action.getOutcome() == ActionOutcome.SKIPPED_COOLDOWN
                    || action.getOutcome() == ActionOutcome.SKIPPED_RATE_LIMIT) {
                continue;
            }
            IncidentPolicy.Rule rule = policy.rules().stream().filter(r -> r.name().equals(incidentRule))
                    .findFirst().orElse(null);
            if (rule == null || !runsSeen.add(incidentRule + "|" + action.getIncidentId())) {
                continue; // a rule no longer configured, or another action of a run already recalled
            }
            if (stillFiring) {
                rule.actions().stream().filter(a -> a.type() == IncidentPolicy.ActionType.ESCALATE).forEach(a ->
                        escalations.add(new Escalation(action.getExecutedAt().plus(a.after()), rule, a, alert)));
            }
        }
        escalations.removeIf(e -> escalated.contains(e.rule.name() + "|" + episode(e.alert)));
        recallRuns(log);
    }

    /**
     * Takes back, from the incident log (in any order), the runs of every incident rule, replacing what this
     * instance knew: called when a rebalance gives it partitions (of alerts or of triggers) whose rules another
     * instance decided until now. The log holds every run up to the last commit of each partition.
     */
    void recallRuns(List<IncidentAction> log) {
        Map<String, IncidentPolicy.Rule> byName = new HashMap<>();
        policy.rules().forEach(r -> byName.put(r.name(), r));
        history.clear();
        triggered.clear();
        // Oldest first: a rule's history is a queue in time order (the cooldown looks at its last run).
        List<IncidentAction> ordered = new ArrayList<>(log);
        ordered.sort(Comparator.comparing(IncidentAction::getExecutedAt));
        Set<String> runsSeen = new HashSet<>();
        for (IncidentAction action : ordered) {
            String incidentRule = action.getParameters().get("incident_rule");
            IncidentPolicy.Rule rule = incidentRule == null ? null : byName.get(incidentRule);
            if (rule == null) {
                continue; // a notification of the route, or a rule no longer configured
            }
            if (rule.scope() == IncidentPolicy.Scope.RULE) {
                // A skipped trigger was decided too.
                triggered.computeIfAbsent(incidentRule, k -> new HashMap<>())
                        .putIfAbsent(action.getIncidentId(), action.getExecutedAt());
            }
            boolean first = runsSeen.add(incidentRule + "|" + action.getIncidentId()); // one run, several actions
            if (first && action.getOutcome() != ActionOutcome.SKIPPED_COOLDOWN
                    && action.getOutcome() != ActionOutcome.SKIPPED_RATE_LIMIT) {
                history.computeIfAbsent(historyKey(rule, action.getAlertFingerprint()), k -> new ArrayDeque<>())
                        .addLast(action.getExecutedAt());
            }
        }
    }

    /** The incident id of an alert's firing episode: fingerprint and active_since. */
    static String episode(AlertEvent alert) {
        return alert.getFingerprint() + "@" + alert.getActiveSince().toEpochMilli();
    }
}
