package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.toolformer.alerts.incident.WebhookReceiver;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.SloWindow;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop at the alert-processor level on a real broker: failing SLO windows of one tool/provider fire
 * HighErrorRate → OPEN_BREAKER with probing on toolformer.control and a webhook notification; healthy windows
 * resolve it → a resolved notification, and no CLOSE_BREAKER (the executors' probes close their breakers). Every
 * step is asserted on topics and the receiver.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ClosedLoopIT {
    private static final String PROVIDER = "simulated";

    @TempDir
    Path stateDir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldOpenAProbingBreakerAndNotifyOnHighErrorRateThenNotifyTheResolve(KafkaTestCluster cluster) {
        String tool = cluster.uniqueName("flaky");
        try (WebhookReceiver webhook = new WebhookReceiver();
             AlertProcessorService service = new AlertProcessorService(config(cluster, tool, webhook),
                     cluster.settings());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("loop-it"))) {
            service.start();
            Instant start = Instant.now().truncatedTo(ChronoUnit.MINUTES);

            // One window at a time: the SLO topic is keyed by window, so two windows sent together may sit on
            // different partitions and reach the evaluator in either order — and a window older than the last
            // one evaluated is ignored (event-time order), which left the alert PENDING forever.
            send(producer, window(tool, start.plus(Duration.ofMinutes(1)), 0.4));
            first(cluster.settings(), Topics.ALERTS,
                    a -> a.getFingerprint().contains(tool) && a.getState() == AlertState.PENDING);
            send(producer, window(tool, start.plus(Duration.ofMinutes(2)), 0.4));
            first(cluster.settings(), Topics.ALERTS,
                    a -> a.getFingerprint().contains(tool) && a.getState() == AlertState.FIRING);
            ControlCommand open = first(cluster.settings(), Topics.CONTROL,
                    c -> tool.equals(c.getTool()) && c.getAction() == ControlAction.OPEN_BREAKER);
            assertThat(open.getTarget()).isEqualTo("*");
            assertThat(open.getProvider()).isEqualTo(PROVIDER);
            assertThat(open.getProbeAfterMs()).isEqualTo(30_000L);
            await().atMost(Duration.ofSeconds(60)).until(() -> bodiesMentioning(webhook, tool, "firing") >= 1
                    && bodiesMentioning(webhook, tool, "FIRING") >= 1);

            send(producer, window(tool, start.plus(Duration.ofMinutes(3)), 0.0));
            AlertEvent resolved = first(cluster.settings(), Topics.ALERTS,
                    a -> a.getFingerprint().contains(tool) && a.getState() == AlertState.RESOLVED);
            await().atMost(Duration.ofSeconds(60)).until(() -> bodiesMentioning(webhook, tool, "resolved") >= 1);

            assertThat(resolved.getActiveSince()).isEqualTo(start.plus(Duration.ofMinutes(1)));
            assertThat(all(cluster.settings(), Topics.CONTROL, c -> tool.equals(c.getTool())))
                    .extracting(ControlCommand::getAction).containsExactly(ControlAction.OPEN_BREAKER);
            List<AlertEvent> transitions = all(cluster.settings(), Topics.ALERTS, a -> a.getFingerprint().contains(tool));
            assertThat(transitions).extracting(AlertEvent::getState)
                    .containsExactly(AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED);
            await().atMost(Duration.ofSeconds(30)).until(() -> all(cluster.settings(), Topics.INCIDENTS,
                    i -> i.getAlertFingerprint().contains(tool)).stream().map(IncidentAction::getAction)
                    .toList().containsAll(List.of("open_breaker", "notify")));
            assertThat(all(cluster.settings(), Topics.INCIDENTS, i -> i.getAlertFingerprint().contains(tool)))
                    .allSatisfy(i -> assertThat(i.getOutcome()).isEqualTo(ActionOutcome.EXECUTED));
        }
    }

    private AlertConfig config(KafkaTestCluster cluster, String tool, WebhookReceiver webhook) {
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: HighErrorRate
                    match: {tool: "%s"}
                    expr: {field: error_rate, op: ">", threshold: 0.01}
                    for: 1m
                    severity: critical
                    annotations: {summary: "error rate {{value}} for {{tool}}"}
                route: {group_by: [alertname, tool], group_wait: 0s, group_interval: 1s}
                receivers:
                  - name: oncall
                    webhooks:
                      - {url: "%s", format: slack}
                      - {url: "%s", format: alertmanager}
                incidents:
                  - name: high_error_rate_response
                    match: {alertname: HighErrorRate}
                    actions: [circuit_breaker, {type: notify, receiver: oncall}]
                """.formatted(tool, webhook.url("/slack"), webhook.url("/am")), "closed-loop-it");
        return new AlertConfig(cluster.uniqueName("alerts-it"), rules, stateDir)
                .withPunctuateInterval(Duration.ofSeconds(1));
    }

    private static long bodiesMentioning(WebhookReceiver webhook, String tool, String word) {
        return webhook.requests().stream().filter(r -> r.body().contains(tool) && r.body().contains(word)).count();
    }

    private static SloWindow window(String tool, Instant end, double errorRate) {
        return Records.slo(tool, PROVIDER, end, errorRate, 100);
    }

    private static void send(KafkaProducer<String, byte[]> producer, SloWindow window) {
        // Record time now: the responder does not act on alerts older than max.event.age.
        producer.send(new ProducerRecord<>(Topics.SLO.name(), null, System.currentTimeMillis(),
                window.getTool() + "|" + window.getProvider() + "|" + window.getWindowStart(),
                Topics.SLO.valueSerde().serializer().serialize(Topics.SLO.name(), window)));
        producer.flush();
    }

    private static <V extends SpecificRecord> V first(KafkaSettings kafka, Topic<V> topic, Predicate<V> match) {
        List<V> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() -> {
            found.clear();
            found.addAll(all(kafka, topic, match));
            return !found.isEmpty();
        });
        return found.get(0);
    }

    /** Every record of the topic so far that matches, oldest first per partition. */
    private static <V extends SpecificRecord> List<V> all(KafkaSettings kafka, Topic<V> topic, Predicate<V> match) {
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null, "loop-it-reader"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V value = topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
                    if (match.test(value)) {
                        out.add(value);
                    }
                }
            }
        }
        return out;
    }
}
