package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.Silence;
import org.junit.jupiter.api.Test;

class NotificationGrouperTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final IncidentPolicy.Route ROUTE = new IncidentPolicy.Route(null, List.of("alertname"),
            Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(4));

    private final Map<String, Silence> silences = new HashMap<>();
    private final Mutes mutes = new Mutes(silences, Map.of(), List.of());
    private final NotificationGrouper grouper = new NotificationGrouper(ROUTE);

    @Test
    void shouldWaitGroupWaitAndSendTheGroupsAlertsTogether() {
        grouper.add("oncall", firing("search"), T);
        grouper.add("oncall", firing("fetch"), T.plusSeconds(10));
        grouper.add("oncall", Records.alert("HighLatency", Map.of("tool", "search"), AlertState.FIRING, T, T),
                T.plusSeconds(10));

        assertThat(grouper.due(T.plusSeconds(29), mutes)).isEmpty();
        List<Notification> sent = grouper.due(T.plusSeconds(30), mutes);

        assertThat(sent).singleElement().satisfies(n -> {
            assertThat(n.groupKey()).isEqualTo("oncall:{alertname=HighErrorRate}");
            assertThat(n.groupLabels()).isEqualTo(Map.of("alertname", "HighErrorRate"));
            assertThat(n.alerts()).extracting(AlertEvent::getFingerprint).containsExactly(
                    "HighErrorRate{tool=search}", "HighErrorRate{tool=fetch}");
        });
        assertThat(grouper.due(T.plusSeconds(40), mutes)).singleElement()
                .extracting(Notification::groupKey).isEqualTo("oncall:{alertname=HighLatency}");
    }

    @Test
    void shouldDeduplicateTheSameAlertInAGroup() {
        grouper.add("oncall", firing("search"), T);
        grouper.add("oncall", firing("search"), T.plusSeconds(5));

        assertThat(grouper.due(T.plusSeconds(30), mutes).get(0).alerts()).hasSize(1);
        grouper.add("oncall", firing("search"), T.plusSeconds(60));
        assertThat(grouper.due(T.plusSeconds(400), mutes)).isEmpty();
    }

    @Test
    void shouldSendChangesNoSoonerThanGroupInterval() {
        grouper.add("oncall", firing("search"), T);
        grouper.due(T.plusSeconds(30), mutes);
        grouper.add("oncall", firing("fetch"), T.plusSeconds(60));

        assertThat(grouper.due(T.plusSeconds(329), mutes)).isEmpty();
        assertThat(grouper.due(T.plusSeconds(330), mutes)).singleElement()
                .satisfies(n -> assertThat(n.alerts()).hasSize(2));
    }

    @Test
    void shouldSendResolvedAlertsThatWereNotifiedThenForgetTheGroup() {
        grouper.add("oncall", firing("search"), T);
        grouper.due(T.plusSeconds(30), mutes);
        grouper.resolve(Records.alert("HighErrorRate", Map.of("tool", "search"), AlertState.RESOLVED, T,
                T.plusSeconds(90)));

        List<Notification> sent = grouper.due(T.plusSeconds(330), mutes);

        assertThat(sent).singleElement().satisfies(n -> {
            assertThat(n.firing()).isFalse();
            assertThat(n.alerts()).extracting(AlertEvent::getState).containsExactly(AlertState.RESOLVED);
        });
        assertThat(grouper.due(T.plus(Duration.ofHours(5)), mutes)).isEmpty();
    }

    @Test
    void shouldRepeatAnUnchangedFiringGroupAfterRepeatIntervalUnlessAcknowledged() {
        grouper.add("oncall", firing("search"), T);
        grouper.due(T.plusSeconds(30), mutes);

        assertThat(grouper.due(T.plusSeconds(30).plus(Duration.ofHours(4)).minusSeconds(1), mutes)).isEmpty();
        assertThat(grouper.due(T.plusSeconds(30).plus(Duration.ofHours(4)), mutes)).hasSize(1);

        silences.put("ack:HighErrorRate{tool=search}", Silences.acknowledgement("HighErrorRate{tool=search}",
                T.plusSeconds(60), Duration.ofDays(1), "me", ""));
        assertThat(grouper.due(T.plusSeconds(30).plus(Duration.ofHours(8)), mutes)).isEmpty();
    }

    @Test
    void shouldLeaveSilencedAlertsOutOfNotifications() {
        silences.put("silence:1", Silences.silence(Map.of("tool", "fetch"), T, Duration.ofHours(1), "me", ""));
        grouper.add("oncall", firing("search"), T);
        grouper.add("oncall", firing("fetch"), T);

        assertThat(grouper.due(T.plusSeconds(30), mutes).get(0).alerts()).extracting(AlertEvent::getFingerprint)
                .containsExactly("HighErrorRate{tool=search}");
    }

    @Test
    void shouldKeepGroupsPerReceiver() {
        grouper.add("oncall", firing("search"), T);
        grouper.add("team", firing("search"), T);

        assertThat(grouper.due(T.plusSeconds(30), mutes)).extracting(Notification::receiver)
                .containsExactly("oncall", "team");
    }

    private static AlertEvent firing(String tool) {
        return Records.alert("HighErrorRate", Map.of("tool", tool), AlertState.FIRING, T, T);
    }
}
