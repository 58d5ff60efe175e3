package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.rules.IncidentPolicy.Action;
import dev.toolformer.alerts.rules.IncidentPolicy.ActionType;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.Silence;
import org.junit.jupiter.api.Test;

class ResponsePlannerTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final Action BREAKER = new Action(ActionType.CIRCUIT_BREAKER, null, null, null);
    private static final Action THROTTLE = new Action(ActionType.THROTTLE, null, null, 5.0);
    private static final Action NOTIFY = new Action(ActionType.NOTIFY, "oncall", null, null);
    private static final Action ESCALATE = new Action(ActionType.ESCALATE, "boss", Duration.ofMinutes(15), null);

    private final Map<String, Silence> silences = new HashMap<>();
    private final Map<String, AlertEvent> firing = new HashMap<>();
    private final Mutes mutes = new Mutes(silences, firing, List.of(new IncidentPolicy.Inhibit(
            Map.of("alertname", "ServiceDown"), Map.of(), List.of("executor"))));

    @Test
    void shouldRunActionsInOrderAndAddNotificationsOnFiring() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER, NOTIFY, THROTTLE));

        List<ResponsePlanner.Task> tasks = plan(planner, errors("search", T), T, mutes);

        assertThat(tasks).hasSize(3);
        assertThat(tasks.get(0)).isEqualTo(new ResponsePlanner.Run(rule(IncidentPolicy.Scope.RULE, BREAKER, NOTIFY,
                THROTTLE), BREAKER, errors("search", T), false));
        assertThat(tasks.get(1)).isEqualTo(new ResponsePlanner.Notify("oncall", "r", errors("search", T)));
        assertThat(tasks.get(2)).isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldIgnorePendingAndRedeliveredFiring() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER));
        AlertEvent pending = Records.alert("HighErrorRate", Map.of("tool", "search"), AlertState.PENDING, T, T);

        assertThat(plan(planner, pending, T, mutes)).isEmpty();
        assertThat(plan(planner, errors("search", T), T, mutes)).hasSize(1);
        assertThat(plan(planner, errors("search", T), T.plusSeconds(1), mutes)).isEmpty();
    }

    @Test
    void shouldForwardAPerRuleRuleToTheOwnerOfItsCooldownWhichDecidesEachEpisodeOnce() {
        IncidentPolicy.Rule rule = rule(IncidentPolicy.Scope.RULE, BREAKER);
        ResponsePlanner alertOwner = planner(rule);
        ResponsePlanner ruleOwner = planner(rule);

        assertThat(alertOwner.onEvent(errors("search", T), T, mutes))
                .containsExactly(new ResponsePlanner.Forward(rule, errors("search", T)));
        assertThat(ruleOwner.onTrigger("r", errors("search", T), T)).singleElement()
                .isInstanceOf(ResponsePlanner.Run.class);
        assertThat(ruleOwner.onTrigger("r", errors("search", T), T.plusSeconds(1))).as("redelivered").isEmpty();
        assertThat(ruleOwner.onTrigger("gone", errors("fetch", T), T)).as("no such rule").isEmpty();
    }

    @Test
    void shouldForwardTheResolveOfAnAlertAPerRuleRuleNotifiedToTheRulesOwner() {
        IncidentPolicy.Rule notifying = rule(IncidentPolicy.Scope.RULE, BREAKER, NOTIFY);
        ResponsePlanner alertOwner = planner(notifying);
        alertOwner.onEvent(errors("search", T), T, mutes);
        AlertEvent resolve = resolved("search", T, T.plusSeconds(60));

        assertThat(alertOwner.onEvent(resolve, T.plusSeconds(60), mutes))
                .containsExactly(new ResponsePlanner.Forward(notifying, resolve));
        assertThat(planner(notifying).onTrigger("r", resolve, T.plusSeconds(60))).as("nothing to decide").isEmpty();
        ResponsePlanner silentRule = planner(rule(IncidentPolicy.Scope.RULE, BREAKER));
        silentRule.onEvent(errors("search", T), T, mutes);
        assertThat(silentRule.onEvent(resolve, T.plusSeconds(60), mutes)).as("no notification to resolve").isEmpty();
    }

    @Test
    void shouldTakeBackTheRunsOfAnotherInstanceWhenItBecomesTheOwnerOfAPerRuleRule() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER));
        AlertEvent search = errors("search", T);
        IncidentAction ranElsewhere = IncidentAction.newBuilder().setIncidentId(ResponsePlanner.episode(search))
                .setRule("HighErrorRate").setAlertFingerprint(search.getFingerprint()).setAction("open_breaker")
                .setParameters(Map.of("incident_rule", "r")).setOutcome(ActionOutcome.EXECUTED).setExecutedAt(T)
                .setDetail("").build();

        IncidentAction earlier = IncidentAction.newBuilder(ranElsewhere).setIncidentId("older@1")
                .setExecutedAt(T.minusSeconds(600)).build();
        planner.recallRuns(List.of(ranElsewhere, earlier)); // as partitions hand them over: not in time order

        assertThat(planner.onTrigger("r", errors("search", T), T.plusSeconds(5))).as("decided there").isEmpty();
        assertThat(planner.onTrigger("r", errors("fetch", T), T.plusSeconds(60))).singleElement()
                .isInstanceOf(ResponsePlanner.Skip.class)
                .extracting(t -> ((ResponsePlanner.Skip) t).outcome()).isEqualTo(ActionOutcome.SKIPPED_COOLDOWN);
        assertThat(planner.onTrigger("r", errors("lookup", T), T.plusSeconds(300))).singleElement()
                .isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldTakeBackTheRunsOfAnAlertWhosePartitionMovedHere() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.ALERT, BREAKER));
        AlertEvent search = errors("search", T);
        planner.recallRuns(List.of(IncidentAction.newBuilder().setIncidentId(ResponsePlanner.episode(search))
                .setRule("HighErrorRate").setAlertFingerprint(search.getFingerprint()).setAction("open_breaker")
                .setParameters(Map.of("incident_rule", "r")).setOutcome(ActionOutcome.EXECUTED).setExecutedAt(T)
                .setDetail("").build()));

        AlertEvent again = errors("search", T.plusSeconds(60));
        assertThat(plan(planner, again, T.plusSeconds(60), mutes)).singleElement()
                .isInstanceOfSatisfying(ResponsePlanner.Skip.class,
                        skip -> assertThat(skip.outcome()).isEqualTo(ActionOutcome.SKIPPED_COOLDOWN));
        assertThat(plan(planner, errors("fetch", T), T.plusSeconds(60), mutes)).singleElement()
                .isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldSkipByCooldownPerRule() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER));

        plan(planner, errors("search", T), T, mutes);
        List<ResponsePlanner.Task> second = plan(planner, errors("fetch", T), T.plusSeconds(299), mutes);
        List<ResponsePlanner.Task> third = plan(planner, errors("lookup", T), T.plusSeconds(300), mutes);

        assertThat(second).singleElement().isEqualTo(new ResponsePlanner.Skip(rule(IncidentPolicy.Scope.RULE, BREAKER),
                BREAKER, errors("fetch", T), ActionOutcome.SKIPPED_COOLDOWN,
                "incident rule r ran at 2026-03-01T12:00:00Z, within its cooldown of PT5M"));
        assertThat(third).singleElement().isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldCountCooldownPerAlertWhenScopedToAlerts() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.ALERT, BREAKER));

        plan(planner, errors("search", T), T, mutes);

        assertThat(plan(planner, errors("fetch", T), T.plusSeconds(1), mutes)).singleElement()
                .isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldSkipByHourlyCapAndRecoverAfterAnHour() {
        IncidentPolicy.Rule rule = new IncidentPolicy.Rule("r", Map.of("alertname", "HighErrorRate"), Duration.ZERO,
                3, IncidentPolicy.Scope.RULE, List.of(BREAKER));
        ResponsePlanner planner = planner(rule);

        for (int i = 0; i < 3; i++) {
            assertThat(plan(planner, errors("t" + i, T), T.plusSeconds(60L * i), mutes)).singleElement()
                    .isInstanceOf(ResponsePlanner.Run.class);
        }
        List<ResponsePlanner.Task> capped = plan(planner, errors("t3", T), T.plusSeconds(1800), mutes);
        List<ResponsePlanner.Task> later = plan(planner, errors("t4", T), T.plusSeconds(3601), mutes);

        assertThat(capped).singleElement().extracting(t -> ((ResponsePlanner.Skip) t).outcome(),
                t -> ((ResponsePlanner.Skip) t).detail())
                .containsExactly(ActionOutcome.SKIPPED_RATE_LIMIT,
                        "incident rule r ran 3 times in the last hour, its cap");
        assertThat(later).singleElement().isInstanceOf(ResponsePlanner.Run.class);
    }

    @Test
    void shouldLiftTheThrottleButLeaveTheBreakerToItsProbesOnResolve() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER, NOTIFY, THROTTLE));
        plan(planner, errors("search", T), T, mutes);

        List<ResponsePlanner.Task> tasks = plan(planner, resolved("search", T, T.plusSeconds(60)),
                T.plusSeconds(60), mutes);

        assertThat(tasks).extracting(t -> ((ResponsePlanner.Run) t).action(), t -> ((ResponsePlanner.Run) t).restore())
                .containsExactly(tuple(THROTTLE, true));
    }

    @Test
    void shouldDoNothingForASilencedAlert() {
        silences.put("silence:1", Silences.silence(Map.of("tool", "search"), T, Duration.ofHours(1), "me", ""));
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, BREAKER, NOTIFY));

        assertThat(plan(planner, errors("search", T), T, mutes)).isEmpty();
        assertThat(plan(planner, errors("fetch", T), T, mutes)).hasSize(2);
    }

    @Test
    void shouldDoNothingForAnAlertInhibitedByServiceDownOfItsExecutor() {
        AlertEvent down = Records.alert("ServiceDown", Map.of("executor", "e1"), AlertState.FIRING, T, T);
        firing.put(down.getFingerprint(), down);
        IncidentPolicy.Rule memory = new IncidentPolicy.Rule("m", Map.of(), Duration.ZERO, 10,
                IncidentPolicy.Scope.ALERT, List.of(THROTTLE));
        ResponsePlanner planner = planner(memory);

        assertThat(plan(planner, Records.alert("HighMemoryUsage", Map.of("executor", "e1"), AlertState.FIRING, T, T),
                T, mutes)).isEmpty();
        assertThat(plan(planner, Records.alert("HighMemoryUsage", Map.of("executor", "e2"), AlertState.FIRING, T, T),
                T, mutes)).hasSize(1);
        assertThat(plan(planner, down, T, mutes)).hasSize(1);
    }

    @Test
    void shouldEscalateWhenStillFiringAndUnacknowledgedAfterTheDelay() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, ESCALATE));
        AlertEvent alert = errors("search", T);
        firing.put(alert.getFingerprint(), alert);

        assertThat(plan(planner, alert, T, mutes)).isEmpty();
        assertThat(planner.due(T.plusSeconds(899), mutes, firing)).isEmpty();
        assertThat(planner.due(T.plusSeconds(900), mutes, firing)).singleElement()
                .isEqualTo(new ResponsePlanner.Run(rule(IncidentPolicy.Scope.RULE, ESCALATE), ESCALATE, alert, false));
        assertThat(planner.due(T.plusSeconds(2000), mutes, firing)).isEmpty();
    }

    @Test
    void shouldNotEscalateAnAcknowledgedAlert() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, ESCALATE));
        AlertEvent alert = errors("search", T);
        firing.put(alert.getFingerprint(), alert);
        plan(planner, alert, T, mutes);

        silences.put("ack:" + alert.getFingerprint(), Silences.acknowledgement(alert.getFingerprint(),
                T.plusSeconds(60), Duration.ofHours(1), "me", "on it"));

        assertThat(planner.due(T.plusSeconds(900), mutes, firing)).isEmpty();
    }

    @Test
    void shouldNotEscalateAResolvedAlert() {
        ResponsePlanner planner = planner(rule(IncidentPolicy.Scope.RULE, ESCALATE));
        AlertEvent alert = errors("search", T);
        plan(planner, alert, T, mutes);
        plan(planner, resolved("search", T, T.plusSeconds(60)), T.plusSeconds(60), mutes);

        assertThat(planner.due(T.plusSeconds(900), mutes, Map.of(alert.getFingerprint(), alert))).isEmpty();
    }

    @Test
    void shouldNotifyTheRouteReceiverOfEveryUnmutedAlert() {
        IncidentPolicy policy = new IncidentPolicy(List.of(), new IncidentPolicy.Route("all", List.of("alertname"),
                Duration.ZERO, Duration.ofMinutes(5), Duration.ofHours(4)), Map.of(), List.of());

        assertThat(plan(new ResponsePlanner(policy), errors("search", T), T, mutes))
                .containsExactly(new ResponsePlanner.Notify("all", "", errors("search", T)));
    }

    private static AlertEvent errors(String tool, Instant activeSince) {
        return Records.alert("HighErrorRate", Map.of("tool", tool, "provider", "openai"), AlertState.FIRING,
                activeSince, activeSince);
    }

    private static AlertEvent resolved(String tool, Instant activeSince, Instant at) {
        return Records.alert("HighErrorRate", Map.of("tool", tool, "provider", "openai"), AlertState.RESOLVED,
                activeSince, at);
    }

    /**
     * The tasks of an alert event on an instance that owns everything: a firing alert of a per-rule rule is
     * forwarded to the owner of the rule's cooldown, here the same planner.
     */
    private static List<ResponsePlanner.Task> plan(ResponsePlanner planner, AlertEvent alert, Instant now,
                                                   Mutes mutes) {
        List<ResponsePlanner.Task> tasks = new ArrayList<>();
        for (ResponsePlanner.Task task : planner.onEvent(alert, now, mutes)) {
            if (task instanceof ResponsePlanner.Forward f) {
                tasks.addAll(planner.onTrigger(f.rule().name(), f.alert(), now));
            } else {
                tasks.add(task);
            }
        }
        return tasks;
    }

    private static IncidentPolicy.Rule rule(IncidentPolicy.Scope scope, Action... actions) {
        return new IncidentPolicy.Rule("r", Map.of("alertname", "HighErrorRate"), Duration.ofMinutes(5), 10, scope,
                List.of(actions));
    }

    private static ResponsePlanner planner(IncidentPolicy.Rule rule) {
        return new ResponsePlanner(new IncidentPolicy(List.of(), IncidentPolicy.Route.DEFAULT, Map.of(),
                List.of(rule)));
    }
}
