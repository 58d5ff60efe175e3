package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.schema.AlertState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebhookSenderTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WebhookReceiver receiver = new WebhookReceiver();
    private final WebhookSender sender = new WebhookSender(Duration.ofMillis(1), Duration.ZERO);

    @AfterEach
    void stop() {
        receiver.close();
    }

    @Test
    void shouldPostSlackTextAndAlertmanagerJson() throws Exception {
        WebhookSender.Result result = sender.send(oncall(3, 20), notification(), "");

        assertThat(result.ok()).isTrue();
        String host = "http://127.0.0.1:" + receiver.url("/").getPort();
        assertThat(result.detail()).isEqualTo("slack " + host + "/... -> 200; alertmanager " + host + "/... -> 200");
        assertThat(receiver.requests()).extracting(WebhookReceiver.Request::path, WebhookReceiver.Request::contentType)
                .containsExactly(tuple("/slack", "application/json"), tuple("/am", "application/json"));
        assertThat(JSON.readTree(receiver.requests().get(0).body()).get("text").asText()).isEqualTo(
                "[FIRING:1] HighErrorRate\n• FIRING critical HighErrorRate{provider=openai,tool=search}:"
                        + " HighErrorRate {provider=openai, tool=search}\n"
                        + "• RESOLVED critical HighErrorRate{provider=openai,tool=fetch}:"
                        + " HighErrorRate {provider=openai, tool=fetch}");
        JsonNode am = JSON.readTree(receiver.requests().get(1).body());
        assertThat(am.get("version").asText()).isEqualTo("4");
        assertThat(am.get("status").asText()).isEqualTo("firing");
        assertThat(am.get("receiver").asText()).isEqualTo("oncall");
        assertThat(am.get("groupKey").asText()).isEqualTo("oncall:{alertname=HighErrorRate}");
        assertThat(am.get("commonLabels")).isEqualTo(JSON.valueToTree(Map.of("alertname", "HighErrorRate",
                "severity", "critical", "provider", "openai")));
        assertThat(am.get("alerts")).hasSize(2);
        JsonNode first = am.get("alerts").get(0);
        assertThat(first.get("status").asText()).isEqualTo("firing");
        assertThat(first.get("startsAt").asText()).isEqualTo("2026-03-01T12:00:00Z");
        assertThat(first.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(first.get("labels").get("tool").asText()).isEqualTo("search");
        assertThat(am.get("alerts").get(1).get("endsAt").asText()).isEqualTo("2026-03-01T12:05:00Z");
    }

    @Test
    void shouldDescribeWebhooksWithoutTheirCredentials() {
        assertThat(WebhookSender.describe(URI.create("https://hooks.slack.com/services/T0/B0/XyZsecret")))
                .isEqualTo("https://hooks.slack.com/...");
        assertThat(WebhookSender.describe(URI.create("https://user:pass@alerts.example.com:9443/hook?token=abc")))
                .isEqualTo("https://alerts.example.com:9443/...");
        assertThat(WebhookSender.describe(URI.create("http://alertmanager:9093"))).isEqualTo("http://alertmanager:9093");
        assertThat(WebhookSender.describe(URI.create("http://alertmanager:9093/"))).isEqualTo("http://alertmanager:9093");
    }

    @Test
    void shouldRetryOnServerErrors() {
        receiver.failFirst(2);

        WebhookSender.Result result = sender.send(slackOnly(3, 20), notification(), "");

        assertThat(result.ok()).isTrue();
        assertThat(receiver.requests()).hasSize(3);
    }

    @Test
    void shouldFailAfterRetriesAreExhausted() {
        receiver.failFirst(10);

        WebhookSender.Result result = sender.send(slackOnly(1, 20), notification(), "");

        assertThat(result.ok()).isFalse();
        String host = "http://127.0.0.1:" + receiver.url("/").getPort();
        assertThat(result.detail()).isEqualTo(host + "/... failed: POST " + host + "/... -> 503");
        assertThat(receiver.requests()).hasSize(2);
    }

    @Test
    void shouldNotRetryClientErrors() {
        receiver.respondWith(400);

        WebhookSender.Result result = sender.send(slackOnly(3, 20), notification(), "");

        assertThat(result.ok()).isFalse();
        assertThat(receiver.requests()).hasSize(1);
    }

    @Test
    void shouldRateLimitPerWebhook() {
        IncidentPolicy.Receiver limited = slackOnly(0, 2);

        sender.send(limited, notification(), "");
        sender.send(limited, notification(), "");
        WebhookSender.Result third = sender.send(limited, notification(), "");

        assertThat(receiver.requests()).hasSize(2);
        assertThat(third).isEqualTo(new WebhookSender.Result(false, "http://127.0.0.1:" + receiver.url("/").getPort()
                + "/... rate limited: more than 2 per minute"));
    }

    @Test
    void shouldOnlyLogForAReceiverWithoutWebhooks() {
        WebhookSender.Result result = sender.send(new IncidentPolicy.Receiver("quiet", List.of(), 3, 20),
                notification(), "");

        assertThat(result).isEqualTo(new WebhookSender.Result(true,
                "receiver quiet has no webhooks configured: logged only"));
    }

    private IncidentPolicy.Receiver oncall(int retries, int perMinute) {
        return new IncidentPolicy.Receiver("oncall", List.of(
                new IncidentPolicy.Webhook(receiver.url("/slack"), IncidentPolicy.Format.SLACK),
                new IncidentPolicy.Webhook(receiver.url("/am"), IncidentPolicy.Format.ALERTMANAGER)), retries, perMinute);
    }

    private IncidentPolicy.Receiver slackOnly(int retries, int perMinute) {
        return new IncidentPolicy.Receiver("oncall", List.of(
                new IncidentPolicy.Webhook(receiver.url("/slack"), IncidentPolicy.Format.SLACK)), retries, perMinute);
    }

    private static Notification notification() {
        return new Notification("oncall", "oncall:{alertname=HighErrorRate}", Map.of("alertname", "HighErrorRate"),
                List.of(Records.alert("HighErrorRate", Map.of("tool", "search", "provider", "openai"),
                                AlertState.FIRING, T, T),
                        Records.alert("HighErrorRate", Map.of("tool", "fetch", "provider", "openai"),
                                AlertState.RESOLVED, T, T.plusSeconds(300))));
    }
}
