package dev.toolformer.alerts.incident;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;

/**
 * The JSON bodies of webhook notifications: Slack-compatible text, Alertmanager's webhook format v4, and the alerts
 * as Alertmanager's {@code /api/v2/alerts} takes them.
 */
final class WebhookPayloads {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Alertmanager's "not ended yet". */
    private static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private WebhookPayloads() {
    }

    static String body(IncidentPolicy.Format format, Notification n, String prefix) {
        return body(format, n, prefix, Instant.now());
    }

    static String body(IncidentPolicy.Format format, Notification n, String prefix, Instant now) {
        Object body = switch (format) {
            case SLACK -> Map.of("text", slackText(n, prefix));
            case ALERTMANAGER -> alertmanager(n);
            case ALERTMANAGER_API -> postableAlerts(n, now);
        };
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a webhook body", e);
        }
    }

    /** {@code [FIRING:2] HighErrorRate} then one line per alert with its summary. */
    static String slackText(Notification n, String prefix) {
        long firing = n.alerts().stream().filter(a -> a.getState() == AlertState.FIRING).count();
        String title = prefix + (firing > 0 ? "[FIRING:" + firing + "] " : "[RESOLVED] ")
                + n.groupLabels().values().stream().collect(Collectors.joining(" "));
        return title + n.alerts().stream().map(a -> "\n• " + a.getState() + " " + a.getSeverity() + " "
                        + a.getFingerprint() + ": " + a.getAnnotations().getOrDefault("summary", "")
                        + (a.getAcknowledged() ? " (acknowledged)" : ""))
                .collect(Collectors.joining());
    }

    static Map<String, Object> alertmanager(Notification n) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", "4");
        body.put("groupKey", n.groupKey());
        body.put("truncatedAlerts", 0);
        body.put("status", n.firing() ? "firing" : "resolved");
        body.put("receiver", n.receiver());
        body.put("groupLabels", n.groupLabels());
        body.put("commonLabels", common(n.alerts().stream().map(AlertEvent::getLabels).toList()));
        body.put("commonAnnotations", common(n.alerts().stream().map(AlertEvent::getAnnotations).toList()));
        body.put("externalURL", "");
        body.put("alerts", n.alerts().stream().map(WebhookPayloads::alert).toList());
        return body;
    }

    private static Map<String, Object> alert(AlertEvent a) {
        Map<String, Object> alert = new LinkedHashMap<>();
        boolean resolved = a.getState() == AlertState.RESOLVED;
        alert.put("status", resolved ? "resolved" : "firing");
        alert.put("labels", a.getLabels());
        alert.put("annotations", a.getAnnotations());
        alert.put("startsAt", a.getActiveSince().toString());
        alert.put("endsAt", resolved ? a.getEventTime().toString() : ZERO_TIME);
        alert.put("generatorURL", "");
        alert.put("fingerprint", a.getFingerprint());
        return alert;
    }

    /**
     * Alertmanager's {@code /api/v2/alerts} body: the alerts as Prometheus posts them, {@code alertname} and
     * {@code severity} among the labels. A firing alert ends {@link AlertmanagerPush#EXPIRY} from now unless sent
     * again (it is, every {@link AlertmanagerPush#RESEND}), so that it does not outlive a dead alert processor; a
     * resolved one ends when it resolved.
     */
    static List<Map<String, Object>> postableAlerts(Notification n, Instant now) {
        return n.alerts().stream().map(a -> {
            Map<String, String> labels = new LinkedHashMap<>(a.getLabels());
            labels.put("alertname", a.getRule());
            labels.putIfAbsent("severity", a.getSeverity());
            Map<String, Object> alert = new LinkedHashMap<>();
            alert.put("labels", labels);
            alert.put("annotations", a.getAnnotations());
            alert.put("startsAt", a.getActiveSince().toString());
            alert.put("endsAt", (a.getState() == AlertState.RESOLVED ? a.getEventTime()
                    : now.plus(AlertmanagerPush.EXPIRY)).toString());
            alert.put("generatorURL", "");
            return alert;
        }).toList();
    }

    /** The entries every map has with the same value. */
    private static Map<String, String> common(List<Map<String, String>> maps) {
        if (maps.isEmpty()) {
            return Map.of();
        }
        Map<String, String> common = new HashMap<>(maps.get(0));
        maps.forEach(m -> common.entrySet().removeIf(e -> !Objects.equals(m.get(e.getKey()), e.getValue())));
        return common;
    }
}
