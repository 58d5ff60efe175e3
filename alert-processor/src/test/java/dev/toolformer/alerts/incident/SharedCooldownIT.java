package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * spread over both instances' partitions fire at once, and exactly one of them runs the rule's action, the other
 * eleven are recorded as skipped by the cooldown.
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
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: HighErrorRate
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    severity: critical
                incidents:
                  - name: flood_response
                    match: {alertname: Flood}
                    cooldown: 10m
                    max_per_hour: 10
                    actions: [scale_up]
                """, "shared-cooldown-it");
        try (AlertProcessorService first = new AlertProcessorService(
                     new AlertConfig(applicationId, rules, dir.resolve("first")), kafka);
             AlertProcessorService second = new AlertProcessorService(
                     new AlertConfig(applicationId, rules, dir.resolve("second")), kafka);
             TopicTail tail = new TopicTail(kafka, List.of(Topics.INCIDENTS), r -> decided.add(
                     Topics.INCIDENTS.valueSerde().deserializer().deserialize(r.topic(), r.value())));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("shared-cooldown-it"))) {
            first.start();
            second.start();
            Map<Integer, String> ownerOfAlertPartition = awaitTwoResponders(kafka, applicationId + "-responder");

            Instant now = Instant.now();
            Set<String> owners = new HashSet<>();
            for (int i = 0; i < ALERTS; i++) {
                AlertEvent alert = Records.alert("Flood", Map.of("executor", "executor-" + i), AlertState.FIRING,
                        now, now);
                owners.add(ownerOfAlertPartition.get(partitionOf(alert.getFingerprint())));
                producer.send(new ProducerRecord<>(Topics.ALERTS.name(), alert.getFingerprint(),
                        Topics.ALERTS.valueSerde().serializer().serialize(Topics.ALERTS.name(), alert)));
            }
            producer.flush();
            assertThat(owners).as("the alerts reach both instances").hasSize(2);

            await().atMost(Duration.ofSeconds(90)).until(() -> flood(decided).size() >= ALERTS);
            Thread.sleep(2_000); // a late duplicate would show up by now

            assertThat(flood(decided)).hasSize(ALERTS);
            assertThat(flood(decided)).filteredOn(a -> a.getOutcome() != ActionOutcome.SKIPPED_COOLDOWN)
                    .as("one run per cooldown, whichever instance saw the alert")
                    .singleElement().satisfies(a -> {
                        assertThat(a.getAction()).isEqualTo("scale_up");
                        assertThat(a.getOutcome()).isEqualTo(ActionOutcome.RECOMMENDED);
                    });
        }
    }

    private static List<IncidentAction> flood(List<IncidentAction> actions) {
        return actions.stream().filter(a -> "flood_response".equals(a.getParameters().get("incident_rule"))).toList();
    }

    /** Waits until both responders are members of the group; the owner of each partition of toolformer.alerts. */
    private static Map<Integer, String> awaitTwoResponders(KafkaSettings kafka, String group) {
        Map<Integer, String> owners = new HashMap<>();
        try (Admin admin = Admin.create(kafka.admin())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(Namespace.qualify(group))).all()
                        .get().get(Namespace.qualify(group));
                owners.clear();
                for (MemberDescription m : d.members()) {
                    for (TopicPartition p : m.assignment().topicPartitions()) {
                        if (p.topic().equals(Topics.ALERTS.name())) {
                            owners.put(p.partition(), m.consumerId());
                        }
                    }
                }
                return d.groupState() == GroupState.STABLE && d.members().size() == 2
                        && new HashSet<>(owners.values()).size() == 2;
            });
        }
        return owners;
    }

    /** The partition Kafka's default partitioner gives a key: murmur2, as every client library computes it. */
    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 6;
    }
}
