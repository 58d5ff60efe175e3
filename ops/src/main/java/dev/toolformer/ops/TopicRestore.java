package dev.toolformer.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.ops.BackupManifest.GroupEntry;
import dev.toolformer.ops.BackupManifest.GroupOffset;
import dev.toolformer.ops.BackupManifest.PartitionEntry;
import dev.toolformer.ops.BackupManifest.TopicEntry;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Writes a backup into a cluster: every record to the partition it came from, with its key, value,
 * headers and timestamp. Checks every file's SHA-256 before writing anything, creates missing topics
 * with the backed-up configs, refuses topics that already hold records unless forced, and resumes an
 * interrupted restore (see {@link RestoreState}).
 */
public final class TopicRestore {
    /** What a restore did. */
    /**
     * @param groups the consumer groups whose committed offsets were put back, translated to the restored
     *               records' offsets (empty without offsets in the backup, or with offsets off)
     */
    public record Result(long records, List<String> topics, List<String> createdTopics, List<String> warnings,
                         List<String> groups) {
    }

    private final KafkaSettings kafka;
    private final Path dir;
    private final Progress progress;
    private final Clock clock;

    private final boolean offsets;

    /** A restore that also puts back the consumer groups' committed offsets saved in the backup. */
    public TopicRestore(KafkaSettings kafka, Path dir, Progress progress, Clock clock) {
        this(kafka, dir, progress, clock, true);
    }

    /** @param offsets whether to put back the consumer groups' committed offsets saved in the backup */
    public TopicRestore(KafkaSettings kafka, Path dir, Progress progress, Clock clock, boolean offsets) {
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.dir = Objects.requireNonNull(dir, "dir == null");
        this.progress = Objects.requireNonNull(progress, "progress == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
        this.offsets = offsets;
    }

    /**
     * Restores {@code topics} of the backup (all of them when empty).
     *
     * @param force             add the records to topics that already hold some
     * @param replicationFactor of created topics; empty for the broker's default
     */
    public Result run(List<String> topics, boolean force, Optional<Short> replicationFactor) throws InterruptedException {
        BackupManifest manifest = BackupManifest.read(dir).orElseThrow(() -> new IllegalArgumentException(
                dir + " holds no " + BackupManifest.FILE + ": not a backup directory"));
        if (!manifest.complete()) {
            throw new IllegalArgumentException("the backup in " + dir + " is incomplete; finish it first with "
                    + "'toolformer backup --to " + dir + "' (it resumes)");
        }
        List<TopicEntry> selected = select(manifest, topics);
        verify(dir, selected);
        Path stateFile = RestoreState.file(dir, kafka.bootstrapServers());
        RestoreState state = RestoreState.read(stateFile)
                .orElse(new RestoreState(kafka.bootstrapServers(), clock.millis(), Map.of(), Set.of()));
        List<String> created;
        try (Admin admin = BackupClients.admin(kafka)) {
            created = createMissing(admin, selected, replicationFactor);
            state = recordBase(admin, selected, state, force);
        }
        state.write(stateFile);
        long restored = 0;
        try (KafkaProducer<byte[], byte[]> producer = BackupClients.producer(kafka, "restore");
             Admin admin = BackupClients.admin(kafka)) {
            for (TopicEntry topic : selected) {
                try (Progress.Bar bar = progress.start("restore " + topic.name(), topic.records())) {
                    for (PartitionEntry p : topic.partitions()) {
                        String key = RestoreState.key(topic.name(), p.partition());
                        if (state.completed().contains(key)) {
                            bar.step(p.records());
                            continue;
                        }
                        restored += restorePartition(admin, producer, topic.name(), p, state.base().get(key), bar);
                        state = state.withCompleted(key);
                        state.write(stateFile);
                    }
                }
            }
        }
        List<String> groups = offsets ? restoreGroupOffsets(manifest, selected, state) : List.of();
        deleteQuietly(stateFile);
        return new Result(restored, selected.stream().map(TopicEntry::name).toList(), created,
                retentionWarnings(selected), groups);
    }

    /**
     * Puts back each saved group's committed offsets on the restored topics, translated: the restored records of a
     * partition start at its base offset, and a committed offset C becomes base + the number of backed-up records
     * whose source offset is below C (compaction and transaction markers leave gaps in the source offsets). A
     * group with live members on the target cluster is refused, naming it: its offsets cannot be set under it.
     */
    private List<String> restoreGroupOffsets(BackupManifest manifest, List<TopicEntry> selected, RestoreState state)
            throws InterruptedException {
        Map<String, PartitionEntry> partitions = new HashMap<>();
        selected.forEach(t -> t.partitions().forEach(p -> partitions.put(RestoreState.key(t.name(), p.partition()), p)));
        List<String> restored = new ArrayList<>();
        try (Admin admin = BackupClients.admin(kafka)) {
            for (GroupEntry group : manifest.consumerGroups()) {
                Map<TopicPartition, OffsetAndMetadata> translated = new HashMap<>();
                for (GroupOffset o : group.offsets()) {
                    String key = RestoreState.key(o.topic(), o.partition());
                    PartitionEntry p = partitions.get(key);
                    if (p != null) {
                        translated.put(new TopicPartition(o.topic(), o.partition()),
                                new OffsetAndMetadata(state.base().get(key) + recordsBelow(p, o.offset())));
                    }
                }
                if (translated.isEmpty()) {
                    continue;
                }
                try {
                    TopicBackup.get(admin.alterConsumerGroupOffsets(group.group(), translated).all());
                } catch (IllegalStateException e) {
                    throw new IllegalStateException("cannot put back the offsets of consumer group " + group.group()
                            + " (stop its members on the target cluster first, then run the restore again: it"
                            + " resumes): " + e.getMessage(), e);
                }
                restored.add(group.group());
            }
        }
        return restored;
    }

    /** How many records of the partition's file came from source offsets below {@code offset}. */
    private long recordsBelow(PartitionEntry p, long offset) {
        if (offset >= p.endOffset()) {
            return p.records();
        }
        long below = 0;
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(dir.resolve(p.file()).toFile(),
                new GenericDatumReader<>(BackupFormat.SCHEMA))) {
            for (GenericRecord r : reader) {
                if (BackupFormat.offset(r) >= offset) {
                    break;
                }
                below++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(p.file()), e);
        }
        return below;
    }

    private static List<TopicEntry> select(BackupManifest manifest, List<String> topics) {
        if (topics.isEmpty()) {
            return manifest.topics();
        }
        List<String> missing = topics.stream().filter(t -> manifest.topic(t).isEmpty()).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the backup holds no topic(s) " + missing + "; it holds "
                    + manifest.topics().stream().map(TopicEntry::name).toList());
        }
        return manifest.topics().stream().filter(t -> topics.contains(t.name())).toList();
    }

    /** Fails, before anything is written, if a file is missing or its size or SHA-256 differs from the manifest. */
    static void verify(Path dir, List<TopicEntry> topics) {
        for (TopicEntry topic : topics) {
            for (PartitionEntry p : topic.partitions()) {
                Path file = dir.resolve(p.file());
                if (!Files.isRegularFile(file)) {
                    throw new IllegalStateException("backup file " + file + " is missing");
                }
                String actual = BackupManifest.sha256(file);
                if (!actual.equals(p.sha256())) {
                    throw new IllegalStateException("backup file " + file + " is corrupt: SHA-256 " + actual
                            + ", manifest says " + p.sha256() + "; nothing was restored");
                }
            }
        }
    }

    /** Creates the topics the cluster lacks, with the backup's partitions and configs; checks the others. */
    private static List<String> createMissing(Admin admin, List<TopicEntry> topics, Optional<Short> replicationFactor)
            throws InterruptedException {
        Set<String> existing = TopicBackup.get(admin.listTopics().names());
        List<NewTopic> toCreate = new ArrayList<>();
        for (TopicEntry t : topics) {
            if (!existing.contains(t.name())) {
                toCreate.add(new NewTopic(t.name(), Optional.of(t.partitionCount()), replicationFactor).configs(t.configs()));
            }
        }
        if (!toCreate.isEmpty()) {
            TopicBackup.get(admin.createTopics(toCreate).all());
            awaitLeaders(admin, toCreate.stream().map(NewTopic::name).toList());
        }
        List<String> present = topics.stream().map(TopicEntry::name).filter(existing::contains).toList();
        Map<String, TopicDescription> described = present.isEmpty() ? Map.of()
                : TopicBackup.get(admin.describeTopics(present).allTopicNames());
        for (TopicEntry t : topics) {
            TopicDescription d = described.get(t.name());
            if (d != null && d.partitions().size() < t.partitionCount()) {
                throw new IllegalArgumentException(t.name() + " has " + d.partitions().size() + " partitions on the target "
                        + "but the backup has " + t.partitionCount() + "; add partitions first so every record keeps its partition");
            }
        }
        return toCreate.stream().map(NewTopic::name).toList();
    }

    /** New topics are usable once every partition has a leader. */
    private static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException {
        try {
            TopicProvisioner.awaitLeaders(admin, names);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("created " + names + " but their partitions have no leader yet: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Records each partition's current end offset as its base (partitions of a resumed restore keep
     * theirs); without {@code force}, refuses partitions that already hold records.
     */
    private static RestoreState recordBase(Admin admin, List<TopicEntry> topics, RestoreState state, boolean force)
            throws InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (TopicEntry t : topics) {
            for (PartitionEntry p : t.partitions()) {
                latest.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.earliest());
            }
        }
        Map<TopicPartition, ListOffsetsResultInfo> end = TopicBackup.get(admin.listOffsets(latest).all());
        Map<TopicPartition, ListOffsetsResultInfo> start = TopicBackup.get(admin.listOffsets(earliest).all());
        Map<String, Long> nonEmpty = new LinkedHashMap<>();
        for (TopicEntry t : topics) {
            for (PartitionEntry p : t.partitions()) {
                String key = RestoreState.key(t.name(), p.partition());
                if (state.base().containsKey(key)) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(t.name(), p.partition());
                long records = end.get(tp).offset() - start.get(tp).offset();
                if (records > 0) {
                    nonEmpty.merge(t.name(), records, Long::sum);
                }
                state = state.withBase(key, end.get(tp).offset());
            }
        }
        if (!nonEmpty.isEmpty() && !force) {
            throw new IllegalArgumentException("target topic(s) already hold records " + nonEmpty
                    + "; restore into empty topics, or add the backup's records to them with --force");
        }
        return state;
    }

    /** Produces one partition's file, skipping what an interrupted run already wrote; returns the records sent. */
    private long restorePartition(Admin admin, KafkaProducer<byte[], byte[]> producer, String topic, PartitionEntry p,
                                  long base, Progress.Bar bar) throws InterruptedException {
        TopicPartition tp = new TopicPartition(topic, p.partition());
        long written = TopicBackup.get(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all()).get(tp).offset() - base;
        if (written < 0 || written > p.records()) {
            throw new IllegalStateException(tp + " has " + written + " records since the restore began but the backup has "
                    + p.records() + "; something else writes to it (delete " + RestoreState.file(dir, kafka.bootstrapServers())
                    + " and restore with --force to add the records anyway)");
        }
        AtomicReference<Exception> failure = new AtomicReference<>();
        long sent = 0;
        long index = 0;
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(dir.resolve(p.file()).toFile(),
                new GenericDatumReader<>(BackupFormat.SCHEMA))) {
            bar.step(written);
            for (GenericRecord r : reader) {
                if (index++ < written) {
                    continue;
                }
                producer.send(BackupFormat.toProducerRecord(topic, r), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                sent++;
                bar.step(1);
                if (failure.get() != null) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(p.file()), e);
        }
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("cannot write to " + tp + ": " + failure.get().getMessage(), failure.get());
        }
        if (index != p.records()) {
            throw new IllegalStateException(dir.resolve(p.file()) + " holds " + index + " records, manifest says " + p.records());
        }
        return sent;
    }

    /** Records older than a topic's retention are deleted by the broker soon after they are restored. */
    private List<String> retentionWarnings(List<TopicEntry> topics) {
        List<String> warnings = new ArrayList<>();
        long now = clock.millis();
        for (TopicEntry t : topics) {
            String configured = t.configs().get(TopicConfig.RETENTION_MS_CONFIG);
            Long retention = configured != null ? Long.valueOf(configured)
                    : Topics.byName(t.name()).map(x -> x.retention().toMillis()).filter(ms -> ms > 0).orElse(null);
            String policy = t.configs().getOrDefault(TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
            if (retention == null || retention < 0 || !policy.contains("delete")) {
                continue;
            }
            long old = t.partitions().stream().filter(p -> p.firstTimestamp() != null && p.firstTimestamp() < now - retention)
                    .count();
            if (old > 0) {
                warnings.add(t.name() + ": " + old + " partition(s) hold records older than its retention.ms (" + retention
                        + "); the broker deletes them at its next retention check unless retention.ms is raised");
            }
        }
        return warnings;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // The restore is complete; a leftover state file only makes a later run skip every partition.
        }
    }
}
