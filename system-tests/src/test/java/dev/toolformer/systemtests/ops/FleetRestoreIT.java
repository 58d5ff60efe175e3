package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.ops.BackupClients;
import dev.toolformer.ops.BackupManifest;
import dev.toolformer.ops.Progress;
import dev.toolformer.ops.TopicBackup;
import dev.toolformer.ops.TopicRestore;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery of a running fleet: back up mid-load (records and the executors' committed offsets), restore
 * into a fresh broker, start the fleet there — it runs only what had not been committed when the backup began,
 * and loses nothing: every restored request has a result.
 */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FleetRestoreIT {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final int PARTITIONS = 3;
    @Test
    void shouldResumeARestoredFleetWhereItsGroupHadCommittedInsteadOfRunningEveryRequestAgain(@TempDir Path tmp)
            throws Exception {
        String group = "toolformer-executor-restore-it";
        Path backup = tmp.resolve("backup");
        BackupManifest manifest;
        try (EmbeddedKafkaBroker source = EmbeddedKafkaBroker.start(tmp.resolve("source"), 0)) {
            KafkaSettings kafka = KafkaSettings.of(source.bootstrapServers());
            provision(kafka);
            try (ToolExecutor executor = executor(kafka, group, "source-executor");
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("restore-it"))) {
                executor.start();
                send(producer, 300);
                await().atMost(Duration.ofSeconds(60)).until(() -> results(kafka).size() >= 300 && committed(kafka,
                        group) >= 300);
                // Mid-load: more requests arrive while the backup runs.
                Thread load = Thread.ofVirtual().start(() -> send(producer, 200));
                manifest = new TopicBackup(kafka, backup, Progress.NONE, Clock.systemUTC())
                        .run(List.of(Topics.REQUESTS.name(), Topics.RESULTS.name()));
                load.join();
            }
        }
        BackupManifest.GroupEntry saved = manifest.consumerGroups().stream()
                .filter(g -> g.group().equals(Namespace.qualify(group))).findFirst().orElseThrow();
        long committedAtBackup = saved.offsets().stream().mapToLong(BackupManifest.GroupOffset::offset).sum();
        long backedUpRequests = manifest.topic(Topics.REQUESTS.name()).orElseThrow().records();
        assertThat(committedAtBackup).as("the saved offsets cover the requests done before the backup")
                .isGreaterThanOrEqualTo(300).isLessThanOrEqualTo(backedUpRequests);

        try (EmbeddedKafkaBroker target = EmbeddedKafkaBroker.start(tmp.resolve("target"), 0)) {
            KafkaSettings kafka = KafkaSettings.of(target.bootstrapServers());
            TopicRestore.Result restored = new TopicRestore(kafka, backup, Progress.NONE, Clock.systemUTC())
                    .run(List.of(), false, Optional.empty());
            assertThat(restored.groups()).contains(Namespace.qualify(group));
            provision(kafka); // the topics not backed up, as `toolformer topics --create` makes them for a fleet
            Map<TopicPartition, Long> resumeAt = committedOffsets(kafka, group);
            Set<String> answeredBefore = results(kafka).keySet();
            List<ConsumerRecord<String, byte[]>> requests = read(kafka, Topics.REQUESTS.name());
            Set<String> due = new HashSet<>();
            Set<String> done = new HashSet<>();
            for (ConsumerRecord<String, byte[]> r : requests) {
                String id = REQUESTS.decode(r.value()).getRequestId();
                (r.offset() >= resumeAt.get(new TopicPartition(r.topic(), r.partition())) ? due : done).add(id);
            }
            assertThat(done).hasSize((int) committedAtBackup);

            try (ToolExecutor executor = executor(kafka, group, "restored-executor")) {
                executor.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> results(kafka).keySet().containsAll(due));
                Thread.sleep(2_000);
            }
            Map<String, Integer> answers = results(kafka);
            List<String> ranAgain = new ArrayList<>();
            answers.forEach((id, count) -> {
                if (count > 1 || !answeredBefore.contains(id) && done.contains(id)) {
                    ranAgain.add(id);
                }
            });
            // Nothing below the committed offsets ran again; everything above it ran (nothing lost).
            assertThat(ranAgain.stream().filter(done::contains).toList()).isEmpty();
            assertThat(answers.keySet()).containsAll(due).containsAll(done);
        }
    }

    private static void provision(KafkaSettings kafka) {
        try (Admin admin = BackupClients.admin(kafka)) {
            TopicProvisioner.ensureTopics(admin, Topics.ALL, PARTITIONS, (short) 1);
        }
    }

    private static ToolExecutor executor(KafkaSettings kafka, String group, String id) {
        return new ToolExecutor(ExecutorConfig.builder(id + "-" + UUID.randomUUID().toString().substring(0, 8))
                .groupId(group).build(), kafka, ToolRegistry.discover(), Pricing.defaults(), new SimpleMeterRegistry());
    }

    private static void send(KafkaProducer<String, byte[]> producer, int count) {
        for (int i = 0; i < count; i++) {
            String id = UUID.randomUUID().toString();
            ToolRequest request = ToolRequest.newBuilder().setRequestId(id).setCorrelationId("restore-it")
                    .setTool("echo").setArgumentsJson("{\"i\":" + i + "}").setTimeoutMs(60_000)
                    .setSubmittedAt(Instant.now()).build();
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, REQUESTS.encode(request)));
            if (i % 20 == 0) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        producer.flush();
    }

    /** Results per request id: how many each has. */
    private static Map<String, Integer> results(KafkaSettings kafka) {
        Map<String, Integer> out = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : read(kafka, Topics.RESULTS.name())) {
            out.merge(RESULTS.decode(r.value()).getRequestId(), 1, Integer::sum);
        }
        return out;
    }

    private static long committed(KafkaSettings kafka, String group) {
        return committedOffsets(kafka, group).values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<TopicPartition, Long> committedOffsets(KafkaSettings kafka, String group) {
        try (Admin admin = BackupClients.admin(kafka)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(Namespace.qualify(group))
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, Long> out = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(Topics.REQUESTS.name(), p);
                OffsetAndMetadata o = offsets.get(tp);
                out.put(tp, o == null ? 0L : o.offset());
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<ConsumerRecord<String, byte[]>> read(KafkaSettings kafka, String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        Map<String, Object> config = kafka.consumer("restore-it-read-" + UUID.randomUUID(), "restore-it-read");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
