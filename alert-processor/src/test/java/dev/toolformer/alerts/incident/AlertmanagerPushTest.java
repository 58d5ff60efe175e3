package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import org.junit.jupiter.api.Test;

class AlertmanagerPushTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AlertEvent SEARCH = Records.alert("HighErrorRate", Map.of("tool", "search"),
            AlertState.FIRING, T, T);
    private static final AlertEvent FETCH = Records.alert("HighErrorRate", Map.of("tool", "fetch"),
            AlertState.FIRING, T, T);

    private final AlertmanagerPush push = new AlertmanagerPush(new IncidentPolicy(List.of(),
            IncidentPolicy.Route.DEFAULT, Map.of(
                    "am", new IncidentPolicy.Receiver("am", List.of(new IncidentPolicy.Webhook(
                            URI.create("http://am:9093/api/v2/alerts"), IncidentPolicy.Format.ALERTMANAGER_API)), 1, 10),
                    "slack", new IncidentPolicy.Receiver("slack", List.of(new IncidentPolicy.Webhook(
                            URI.create("http://hooks/x"), IncidentPolicy.Format.SLACK)), 1, 10)), List.of()));

    @Test
    void shouldPostTheAlertsAsPrometheusDoesFiringOnesEndingUnlessPostedAgain() throws Exception {
        AlertEvent resolved = Records.alert("HighErrorRate", Map.of("tool", "fetch"), AlertState.RESOLVED, T,
                T.plusSeconds(300));
        JsonNode body = JSON.readTree(WebhookPayloads.body(IncidentPolicy.Format.ALERTMANAGER_API,
                new Notification("am", "g", Map.of(), List.of(SEARCH, resolved)), "", T.plusSeconds(60)));

        assertThat(body.isArray()).isTrue();
        assertThat(body).hasSize(2);
        assertThat(body.get(0).get("labels").get("alertname").asText()).isEqualTo("HighErrorRate");
        assertThat(body.get(0).get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(body.get(0).get("labels").get("tool").asText()).isEqualTo("search");
        assertThat(body.get(0).get("startsAt").asText()).isEqualTo("2026-03-01T12:00:00Z");
        assertThat(body.get(0).get("endsAt").asText()).as("a minute later, plus the expiry")
                .isEqualTo(T.plusSeconds(60).plus(AlertmanagerPush.EXPIRY).toString());
        assertThat(body.get(1).get("endsAt").asText()).isEqualTo("2026-03-01T12:05:00Z");
    }

    @Test
    void shouldPostAgainEveryMinuteWhatTheReceiverWasToldAndStillFires() {
        push.sent(new Notification("am", "g", Map.of(), List.of(SEARCH, FETCH)));
        push.sent(new Notification("slack", "g", Map.of(), List.of(SEARCH)));
        AlertEvent searchNow = Records.alert("HighErrorRate", Map.of("tool", "search"), AlertState.FIRING, T,
                T.plusSeconds(30));
        Map<String, AlertEvent> firing = Map.of(SEARCH.getFingerprint(), searchNow, FETCH.getFingerprint(), FETCH);

        List<Notification> first = push.due(T, firing);
        assertThat(first).hasSize(1);
        assertThat(first.getFirst().receiver()).isEqualTo("am");
        assertThat(first.getFirst().alerts()).containsExactlyInAnyOrder(searchNow, FETCH);
        assertThat(push.due(T.plusSeconds(30), firing)).as("not within the minute").isEmpty();

        // FETCH resolved: told by the grouped notification, then no longer posted; SEARCH stops firing unseen.
        push.sent(new Notification("am", "g", Map.of(), List.of(Records.alert("HighErrorRate",
                Map.of("tool", "fetch"), AlertState.RESOLVED, T, T.plusSeconds(50)))));
        assertThat(push.due(T.plusSeconds(60), firing).getFirst().alerts()).containsExactly(searchNow);
        assertThat(push.due(T.plusSeconds(120), Map.of())).isEmpty();
        assertThat(push.due(T.plusSeconds(180), firing)).as("forgotten once it stopped firing").isEmpty();
    }
}
