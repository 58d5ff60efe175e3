package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.rules.IncidentPolicy.Action;
import dev.toolformer.alerts.rules.IncidentPolicy.ActionType;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.Silence;
import org.junit.jupiter.api.Test;

/** A restarted responder neither repeats nor drops what the incident log says an earlier instance did. */
class IncidentRecoveryTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final IncidentPolicy.Route ROUTE = new IncidentPolicy.Route("oncall", List.of("alertname"),
            Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(4));
    private static final String GROUP = "oncall:{alertname=HighErrorRate}";
    private static final Action BREAKER = new Action(ActionType.CIRCUIT_BREAKER, null, null, null);
    private static final Action ESCALATE = new Action(ActionType.ESCALATE, "boss", Duration.ofMinutes(15), null);
    private static final IncidentPolicy.Rule RULE = new IncidentPolicy.Rule("r", Map.of("alertname", "HighErrorRate"),
            Duration.ofMinutes(5), 10, IncidentPolicy.Scope.RULE, List.of(BREAKER, ESCALATE));

    private final Mutes mutes = new Mutes(new HashMap<String, Silence>(), Map.of(), List.of());
    private final ResponsePlanner planner = new ResponsePlanner(new IncidentPolicy(List.of(), ROUTE, Map.of(),
            List.of(RULE)));
    private final NotificationGrouper grouper = new NotificationGrouper(ROUTE);
    private final List<IncidentAction> log = new ArrayList<>();

    @Test
    void shouldStillSendTheResolutionOfAnAlertToldAsFiringBeforeTheRestart() {
        log.add(notify(firing(), "n1", T.plusSeconds(30)));
        AlertEvent resolved = alert(AlertState.RESOLVED, T.plusSeconds(60));

        recover(Map.of(resolved.getFingerprint(), resolved), T.plusSeconds(70));

        assertThat(grouper.due(T.plusSeconds(70), mutes)).as("held back by group_interval").isEmpty();
        assertThat(grouper.due(T.plusSeconds(330), mutes)).singleElement().satisfies(n -> {
            assertThat(n.groupKey()).isEqualTo(GROUP);
            assertThat(n.alerts()).extracting(AlertEvent::getState).containsExactly(AlertState.RESOLVED);
        });
    }

    @Test
    void shouldNotNotifyAgainAnAlertToldAsFiringUntilItsRepeatInterval() {
        log.add(notify(firing(), "n1", T.plusSeconds(30)));
        AlertEvent firing = firing();

        recover(Map.of(firing.getFingerprint(), firing), T.plusSeconds(60));

        assertThat(grouper.due(T.plusSeconds(90), mutes)).isEmpty();
        assertThat(grouper.due(T.plus(Duration.ofHours(1)), mutes)).isEmpty();
        assertThat(grouper.due(T.plusSeconds(30).plus(Duration.ofHours(4)), mutes)).singleElement()
                .extracting(Notification::firing).isEqualTo(true);
    }

    @Test
    void shouldQueueAFiringAlertThatNoNotificationToldYet() {
        AlertEvent firing = firing();

        IncidentRecovery.Summary summary = recover(Map.of(firing.getFingerprint(), firing), T.plusSeconds(10));

        assertThat(summary.queuedAlerts()).isEqualTo(1);
        assertThat(grouper.due(T.plusSeconds(40), mutes)).singleElement().satisfies(n ->
                assertThat(n.alerts()).containsExactly(firing));
    }

    @Test
    void shouldNotQueueAFiringAlertOlderThanTheEventAgeLimit() {
        AlertEvent firing = firing();

        recover(Map.of(firing.getFingerprint(), firing), T.plus(Duration.ofHours(1)));

        assertThat(grouper.due(T.plus(Duration.ofHours(2)), mutes)).isEmpty();
    }

    @Test
    void shouldNotActAgainOnARedeliveredFiringEventAndKeepCooldownsAndEscalations() {
        AlertEvent firing = firing();
        log.add(action(firing, "open_breaker", T.plusSeconds(1)));
        log.add(notify(firing, "n1", T.plusSeconds(30)));

        recover(Map.of(firing.getFingerprint(), firing), T.plusSeconds(60));

        assertThat(planner.onEvent(firing, T.plusSeconds(61), mutes)).as("the same episode again").isEmpty();
        assertThat(planner.onTrigger(RULE.name(), firing, T.plusSeconds(61))).as("its trigger again").isEmpty();
        AlertEvent again = alert(AlertState.FIRING, T.plusSeconds(120), T.plusSeconds(120));
        assertThat(planner.onEvent(again, T.plusSeconds(120), mutes)).as("a new episode, to the rule's owner")
                .filteredOn(t -> !(t instanceof ResponsePlanner.Notify))
                .containsExactly(new ResponsePlanner.Forward(RULE, again));
        assertThat(planner.onTrigger(RULE.name(), again, T.plusSeconds(120))).as("inside the cooldown").hasSize(2)
                .allSatisfy(t -> assertThat(t).isInstanceOfSatisfying(ResponsePlanner.Skip.class,
                        s -> assertThat(s.outcome()).isEqualTo(ActionOutcome.SKIPPED_COOLDOWN)));
        assertThat(planner.due(T.plus(Duration.ofMinutes(16)), mutes, Map.of(firing.getFingerprint(), firing)))
                .singleElement().isEqualTo(new ResponsePlanner.Run(RULE, ESCALATE, firing, false));
    }

    private IncidentRecovery.Summary recover(Map<String, AlertEvent> latest, Instant now) {
        return IncidentRecovery.recover(log, latest, planner, grouper, now, now.minus(Duration.ofMinutes(15)));
    }

    private static AlertEvent firing() {
        return alert(AlertState.FIRING, T, T);
    }

    private static AlertEvent alert(AlertState state, Instant at) {
        return alert(state, T, at);
    }

    private static AlertEvent alert(AlertState state, Instant activeSince, Instant at) {
        return Records.alert("HighErrorRate", Map.of("tool", "search"), state, activeSince, at);
    }

    private static IncidentAction notify(AlertEvent alert, String notification, Instant at) {
        return IncidentAction.newBuilder().setIncidentId(ResponsePlanner.episode(alert)).setRule(alert.getRule())
                .setAlertFingerprint(alert.getFingerprint()).setAction("notify")
                .setParameters(Map.of("receiver", "oncall", "group", GROUP, "alerts", "1",
                        "state", alert.getState().name(), IncidentRecovery.NOTIFICATION, notification))
                .setOutcome(ActionOutcome.EXECUTED).setDetail("").setExecutedAt(at).build();
    }

    private static IncidentAction action(AlertEvent alert, String action, Instant at) {
        return IncidentAction.newBuilder().setIncidentId(ResponsePlanner.episode(alert)).setRule(alert.getRule())
                .setAlertFingerprint(alert.getFingerprint()).setAction(action)
                .setParameters(Map.of("incident_rule", RULE.name()))
                .setOutcome(ActionOutcome.EXECUTED).setDetail("").setExecutedAt(at).build();
    }
}
