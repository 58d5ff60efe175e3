package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.cli.BackupCommand;
import dev.toolformer.cli.CapacityCommand;
import dev.toolformer.cli.CostReportCommand;
import dev.toolformer.cli.RestoreCommand;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.ops.BackupClients;
import dev.toolformer.ops.BackupFormat;
import dev.toolformer.ops.BackupManifest;
import dev.toolformer.ops.Progress;
import dev.toolformer.ops.RestoreState;
import dev.toolformer.ops.TopicBackup;
import dev.toolformer.ops.TopicRestore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Backs up a populated broker and restores into fresh ones: every record comes back to its partition
 * with its key, value, headers and timestamp, also after interrupted runs of both commands.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BackupRestoreIT {
    private static final int PARTITIONS = 3;

    @TempDir
    static Path shared;

    static EmbeddedKafkaBroker source;

    @BeforeAll
    static void populateSource() throws Exception {
        source = EmbeddedKafkaBroker.start(shared.resolve("source-broker"), 0);
        KafkaSettings kafka = KafkaSettings.of(source.bootstrapServers());
        try (Admin admin = BackupClients.admin(kafka)) {
            TopicProvisioner.ensureTopics(admin, Topics.ALL, PARTITIONS, (short) 1);
        }
        long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = BackupClients.producer(kafka, "it")) {
            for (int i = 0; i < 300; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("traceparent", bytes("00-" + i + "-01"));
                headers.add("correlation_id", bytes("c" + i));
                headers.add("correlation_id", null);
                byte[] key = i % 50 == 0 ? null : bytes("request-" + i);
                producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), i % PARTITIONS, now - 60_000 + i, key,
                        bytes("value-" + i), headers));
            }
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(Topics.DLQ.name(), null, now - 5_000 + i, bytes("k" + i),
                        new byte[] {(byte) 0xC3, 0x01, (byte) i}));
            }
            producer.send(new ProducerRecord<>(Topics.HEALTH.name(), 1, now, bytes("executor-1"), bytes("up")));
            producer.send(new ProducerRecord<>(Topics.HEALTH.name(), 1, now + 1, bytes("executor-1"), (byte[]) null));
        }
        produceTransactions(kafka, now);
    }

    /** Like the analytics output: a committed and an aborted transaction; only committed records count. */
    private static void produceTransactions(KafkaSettings kafka, long now) {
        Map<String, Object> p = kafka.producer("it-tx");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "backup-it-tx");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(p)) {
            tx.initTransactions();
            tx.beginTransaction();
            for (int i = 0; i < 5; i++) {
                tx.send(new ProducerRecord<>(Topics.SLO.name(), 0, now + i, bytes("*|*|" + i), bytes("committed-" + i)));
            }
            tx.commitTransaction();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(Topics.SLO.name(), 0, now, bytes("*|*|x"), bytes("aborted")));
            tx.flush();
            tx.abortTransaction();
        }
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void shouldRestoreEveryRecordIntoAFreshClusterWithItsPartitionKeyValueHeadersAndTimestamp(@TempDir Path tmp)
            throws Exception {
        Path backup = tmp.resolve("backup");
        BackupManifest manifest = backup(backup, List.of(), Progress.NONE);

        assertThat(manifest.complete()).isTrue();
        assertThat(manifest.topics()).extracting(BackupManifest.TopicEntry::name)
                .containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(t -> t.name()).toList());
        assertThat(manifest.topic(Topics.REQUESTS.name()).orElseThrow().records()).isEqualTo(300);
        assertThat(manifest.topic(Topics.SLO.name()).orElseThrow().records()).isEqualTo(5);
        assertThat(manifest.topic(Topics.HEALTH.name()).orElseThrow().configs())
                .containsEntry(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

        try (EmbeddedKafkaBroker target = EmbeddedKafkaBroker.start(tmp.resolve("target-broker"), 0)) {
            KafkaSettings kafka = KafkaSettings.of(target.bootstrapServers());
            TopicRestore.Result result = restore(kafka, backup, false);

            assertThat(result.records()).isEqualTo(manifest.records());
            assertThat(result.createdTopics()).hasSize(Topics.ALL.size());
            assertThat(readAll(kafka)).isEqualTo(readAll(KafkaSettings.of(source.bootstrapServers())));
            assertThat(topicConfig(kafka, Topics.HEALTH.name(), TopicConfig.CLEANUP_POLICY_CONFIG))
                    .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
            assertThat(topicConfig(kafka, Topics.RESULTS.name(), TopicConfig.RETENTION_MS_CONFIG))
                    .isEqualTo(String.valueOf(Topics.RESULTS.retention().toMillis()));
            try (var files = Files.list(backup)) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .as("the restore state is removed once complete").noneMatch(f -> f.startsWith("restore-"));
            }
        }
    }

    @Test
    void shouldRefuseTopicsThatAlreadyHoldRecordsUnlessForced(@TempDir Path tmp) throws Exception {
        Path backup = tmp.resolve("backup");
        backup(backup, List.of(Topics.DLQ.name()), Progress.NONE);
        try (EmbeddedKafkaBroker target = EmbeddedKafkaBroker.start(tmp.resolve("target-broker"), 0)) {
            KafkaSettings kafka = KafkaSettings.of(target.bootstrapServers());
            restore(kafka, backup, false);

            assertThatThrownBy(() -> restore(kafka, backup, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("target topic(s) already hold records {toolformer.dlq=20}")
                    .hasMessageContaining("--force");
            assertThat(restore(kafka, backup, true).records()).isEqualTo(20);
            assertThat(readAll(kafka).values().stream().mapToInt(List::size).sum()).isEqualTo(40);
        }
    }

    @Test
    void shouldCheckEveryChecksumBeforeWritingAnything(@TempDir Path tmp) throws Exception {
        Path backup = tmp.resolve("backup");
        BackupManifest manifest = backup(backup, List.of(Topics.REQUESTS.name(), Topics.DLQ.name()), Progress.NONE);
        Path file = backup.resolve(BackupFormat.fileName(Topics.DLQ.name(), 2));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);

        // Nothing listens on port 1: reaching the cluster would be a timeout, not this message.
        assertThatThrownBy(() -> restore(KafkaSettings.of("127.0.0.1:1"), backup, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("backup file " + file + " is corrupt: SHA-256 ")
                .hasMessageEndingWith(", manifest says " + manifest.topic(Topics.DLQ.name()).orElseThrow()
                        .partitions().get(2).sha256() + "; nothing was restored");
    }

    @Test
    void shouldResumeInterruptedBackupAndRestoreWithoutLosingOrDuplicatingRecords(@TempDir Path tmp) throws Exception {
        Path backup = tmp.resolve("backup");
        List<String> topics = List.of(Topics.REQUESTS.name(), Topics.HEALTH.name());
        assertThatThrownBy(() -> backup(backup, topics, interruptAfter(150)))
                .hasMessage("interrupted after 150 records");
        BackupManifest interrupted = BackupManifest.read(backup).orElseThrow();
        assertThat(interrupted.complete()).isFalse();
        assertThat(interrupted.topic(Topics.REQUESTS.name()).orElseThrow().partitions())
                .extracting(BackupManifest.PartitionEntry::complete).containsExactly(true, false, false);

        BackupManifest resumed = backup(backup, List.of(), Progress.NONE);
        assertThat(resumed.complete()).isTrue();
        assertThat(resumed.records()).isEqualTo(302);
        assertThat(resumed.topic(Topics.REQUESTS.name()).orElseThrow().partitions().getFirst())
                .isEqualTo(interrupted.topic(Topics.REQUESTS.name()).orElseThrow().partitions().getFirst());

        try (EmbeddedKafkaBroker target = EmbeddedKafkaBroker.start(tmp.resolve("target-broker"), 0)) {
            KafkaSettings kafka = KafkaSettings.of(target.bootstrapServers());
            TopicRestore firstRun = new TopicRestore(kafka, backup, interruptAfter(170), Clock.systemUTC());
            assertThatThrownBy(() -> firstRun.run(List.of(), false, Optional.empty()))
                    .hasMessage("interrupted after 170 records");
            assertThat(RestoreState.file(backup, kafka.bootstrapServers())).exists();

            TopicRestore.Result result = restore(kafka, backup, false);

            assertThat(result.records()).isEqualTo(302 - 170);
            Map<String, List<Rec>> expected = readAll(KafkaSettings.of(source.bootstrapServers()));
            expected.keySet().removeIf(tp -> !tp.startsWith(Topics.REQUESTS.name() + "-") && !tp.startsWith(Topics.HEALTH.name() + "-"));
            assertThat(readAll(kafka)).isEqualTo(expected);
            assertThat(RestoreState.file(backup, kafka.bootstrapServers())).doesNotExist();
        }
    }

    @Test
    void shouldRunTheOperationsCommandsFromTheCommandLine(@TempDir Path tmp) throws Exception {
        Path backup = tmp.resolve("backup");
        String bootstrap = source.bootstrapServers();

        assertThat(run(new BackupCommand(), "--to", backup.toString(), "--topics", "toolformer.dlq,toolformer.health",
                "-b", bootstrap)).contains("backed up 22 records of 2 topic(s) from " + bootstrap);
        assertThat(run(new BackupCommand(), "--to", backup.toString(), "-b", bootstrap))
                .isEqualTo("exit 1: " + backup + " already holds a complete backup (22 records of "
                        + "[toolformer.dlq, toolformer.health]); back up into a new directory");
        try (EmbeddedKafkaBroker target = EmbeddedKafkaBroker.start(tmp.resolve("target-broker"), 0)) {
            assertThat(run(new RestoreCommand(), "--from", backup.toString(), "-b", target.bootstrapServers()))
                    .contains("restored 22 records of 2 topic(s)");
        }
        // The source's results topic is empty and its SLO topic holds no decodable window: empty reports.
        assertThat(run(new CostReportCommand(), "--since", "1d", "-b", bootstrap, "--json"))
                .contains("\"requests\" : 0").contains("\"recommendations\" : [ ]");
        Path html = tmp.resolve("capacity.html");
        assertThat(run(new CapacityCommand(), "--horizon", "12h", "-b", bootstrap, "--html", html.toString()))
                .contains("executor replicas: 0 -> 2");
        assertThat(html).content().contains("new Chart(");
    }

    /** Runs a command as picocli would and returns its stdout, or "exit N: message" when it fails. */
    private static String run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().print(e.getMessage());
            return 1;
        });
        int exit = cli.execute(args);
        return exit == 0 ? out.toString() : "exit " + exit + ": " + err;
    }

    private static BackupManifest backup(Path dir, List<String> topics, Progress progress) throws Exception {
        return new TopicBackup(KafkaSettings.of(source.bootstrapServers()), dir, progress, Clock.systemUTC()).run(topics);
    }

    private static TopicRestore.Result restore(KafkaSettings kafka, Path dir, boolean force) throws Exception {
        return new TopicRestore(kafka, dir, Progress.NONE, Clock.systemUTC()).run(List.of(), force, Optional.empty());
    }

    /** Progress that fails once {@code limit} records were reported, as an interruption would stop a run. */
    private static Progress interruptAfter(long limit) {
        AtomicLong seen = new AtomicLong();
        return (task, total) -> new Progress.Bar() {
            @Override
            public void step(long n) {
                if (seen.addAndGet(n) >= limit) {
                    throw new IllegalStateException("interrupted after " + limit + " records");
                }
            }

            @Override
            public void close() {
            }
        };
    }

    /** One record as compared: what a restore must preserve (not its offset). */
    record Rec(String key, String value, List<String> headers, long timestamp) {
    }

    /** Every committed record of every toolformer.* topic, by "topic-partition", in offset order. */
    private static Map<String, List<Rec>> readAll(KafkaSettings kafka) throws Exception {
        Map<String, List<Rec>> out = new TreeMap<>();
        try (Admin admin = BackupClients.admin(kafka);
             KafkaConsumer<byte[], byte[]> consumer = BackupClients.consumer(kafka, "it-read")) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
                if (topic.startsWith("toolformer.")) {
                    consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            partitions.forEach(tp -> out.put(tp.toString(), new ArrayList<>()));
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    List<String> headers = new ArrayList<>();
                    for (Header h : r.headers()) {
                        headers.add(h.key() + "=" + hex(h.value()));
                    }
                    out.get(new TopicPartition(r.topic(), r.partition()).toString())
                            .add(new Rec(hex(r.key()), hex(r.value()), headers, r.timestamp()));
                }
            }
        }
        out.values().removeIf(List::isEmpty);
        return out;
    }

    private static String topicConfig(KafkaSettings kafka, String topic, String name) throws Exception {
        try (Admin admin = BackupClients.admin(kafka)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            return config.get(name).value();
        }
    }

    private static String hex(byte[] bytes) {
        return bytes == null ? "null" : HexFormat.of().formatHex(bytes);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
