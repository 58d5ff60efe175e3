package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two alert-processor instances of one application (as {@code deploy/k8s} runs them) split toolformer.alerts by
 * partition. A rule counted per rule must still run once per cooldown, not once per instance: twelve alerts
 * spread over both instances' partitions fire, exactly one of them runs the rule's actions, the other eleven are
 * recorded as skipped by the cooldown. The one that ran was read by the instance that does not keep the rule's
 * count, so the other one notified it: that one must also send its resolve.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class SharedCooldownIT {
    private static final int ALERTS = 12;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldRunAPerRuleIncidentRuleOncePerCooldownAcrossTwoInstances(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        List<IncidentAction> decided = new CopyOnWriteArrayList<>();
        String applicationId = cluster.uniqueName("alerts-shared");
        try (WebhookReceiver webhook = new WebhookReceiver()) {
            AlertRules rules = AlertRules.parse("""
                    rules:
                      - name: HighErrorRate
                        expr: {field: error_rate, op: ">", threshold: 0.5}
                        severity: critical
                    route: {group_by: [alertname, executor], group_wait: 0s, group_interval: 1s}
                    receivers:
                      - name: oncall
                        webhooks: [{url: "%s", format: slack}]
                    incidents:
                      - name: flood_response
                        match: {alertname: Flood}
                        cooldown: 10m
                        max_per_hour: 10
                        actions: [scale_up, {type: notify, receiver: oncall}]
                    """.formatted(webhook.url("/hook")), "shared-cooldown-it");
            try (AlertProcessorService first = new AlertProcessorService(
                         new AlertConfig(applicationId, rules, dir.resolve("first")), kafka);
                 AlertProcessorService second = new AlertProcessorService(
                         new AlertConfig(applicationId, rules, dir.resolve("second")), kafka);
                 TopicTail tail = new TopicTail(kafka, List.of(Topics.INCIDENTS), r -> decided.add(
                         Topics.INCIDENTS.valueSerde().deserializer().deserialize(r.topic(), r.value())));
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("shared-cooldown-it"))) {
                first.start();
                second.start();
                Map<TopicPartition, String> owners = awaitTwoResponders(kafka, applicationId + "-responder");
                String ruleOwner = owners.get(new TopicPartition(Topics.INCIDENT_TRIGGERS.name(),
                        partitionOf("flood_response")));

                Instant now = Instant.now();
                List<AlertEvent> alerts = new ArrayList<>();
                for (int i = 0; i < ALERTS; i++) {
                    alerts.add(Records.alert("Flood", Map.of("executor", "executor-" + i), AlertState.FIRING, now,
                            now));
                }
                // First an alert read by the instance that does not keep the rule's count: it is decided (and
                // notified) by the other one, which must also learn of its resolve.
                AlertEvent elsewhere = alerts.stream().filter(a -> !ruleOwner.equals(owners.get(
                        new TopicPartition(Topics.ALERTS.name(), partitionOf(a.getFingerprint()))))).findFirst()
                        .orElseThrow(() -> new AssertionError("no alert reaches the instance that is not the owner"));
                send(producer, elsewhere);
                await().atMost(Duration.ofSeconds(60)).until(() -> scaleUps(decided).size() == 1);
                await().atMost(Duration.ofSeconds(30)).until(() -> notifications(webhook, elsewhere, "FIRING") == 1);
                for (AlertEvent alert : alerts) {
                    if (alert != elsewhere) {
                        send(producer, alert);
                    }
                }
                assertThat(alerts.stream().map(a -> owners.get(new TopicPartition(Topics.ALERTS.name(),
                        partitionOf(a.getFingerprint())))).distinct()).as("the alerts reach both instances").hasSize(2);

                await().atMost(Duration.ofSeconds(90)).until(() -> scaleUps(decided).size() >= ALERTS);
                send(producer, Records.alert("Flood", Map.of("executor", elsewhere.getLabels().get("executor")),
                        AlertState.RESOLVED, now, Instant.now()));
                await().atMost(Duration.ofSeconds(60)).until(() -> notifications(webhook, elsewhere, "RESOLVED") == 1);
                Thread.sleep(2_000); // a late duplicate would show up by now

                assertThat(scaleUps(decided)).hasSize(ALERTS);
                assertThat(scaleUps(decided)).filteredOn(a -> a.getOutcome() != ActionOutcome.SKIPPED_COOLDOWN)
                        .as("one run per cooldown, whichever instance saw the alert")
                        .singleElement().satisfies(a -> {
                            assertThat(a.getAlertFingerprint()).isEqualTo(elsewhere.getFingerprint());
                            assertThat(a.getOutcome()).isEqualTo(ActionOutcome.RECOMMENDED);
                        });
                assertThat(webhook.requests()).as("one firing and one resolved notification, nothing else")
                        .hasSize(2);
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, AlertEvent alert) {
        producer.send(new ProducerRecord<>(Topics.ALERTS.name(), alert.getFingerprint(),
                Topics.ALERTS.valueSerde().serializer().serialize(Topics.ALERTS.name(), alert)));
        producer.flush();
    }

    private static List<IncidentAction> scaleUps(List<IncidentAction> actions) {
        return actions.stream().filter(a -> "flood_response".equals(a.getParameters().get("incident_rule"))
                && a.getAction().equals("scale_up")).toList();
    }

    private static long notifications(WebhookReceiver webhook, AlertEvent alert, String state) {
        return webhook.requests().stream().filter(r -> r.body().contains(state + " critical " + alert.getFingerprint()))
                .count();
    }

    /**
     * Waits until both responders are members of the group, each owning partitions of toolformer.alerts; the
     * owner (member id) of each partition of toolformer.alerts and toolformer.incident-triggers.
     */
    private static Map<TopicPartition, String> awaitTwoResponders(KafkaSettings kafka, String group) {
        Map<TopicPartition, String> owners = new HashMap<>();
        try (Admin admin = Admin.create(kafka.admin())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(Namespace.qualify(group))).all()
                        .get().get(Namespace.qualify(group));
                owners.clear();
                for (MemberDescription m : d.members()) {
                    m.assignment().topicPartitions().forEach(p -> owners.put(p, m.consumerId()));
                }
                return d.groupState() == GroupState.STABLE && d.members().size() == 2 && owners.entrySet().stream()
                        .filter(e -> e.getKey().topic().equals(Topics.ALERTS.name())).map(Map.Entry::getValue)
                        .distinct().count() == 2 && owners.size() == 12;
            });
        }
        return owners;
    }

    /** The partition Kafka's default partitioner gives a key: murmur2, as every client library computes it. */
    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 6;
    }
}
