package dev.toolformer.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.ops.BackupManifest.GroupEntry;
import dev.toolformer.ops.BackupManifest.GroupOffset;
import dev.toolformer.ops.BackupManifest.PartitionEntry;
import dev.toolformer.ops.BackupManifest.TopicEntry;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Copies topics to a backup directory: one Avro object container file per partition plus
 * {@code manifest.json}. Offset ranges are fixed when the backup begins, so what is copied is a
 * snapshot; the manifest records each finished partition, so running again after an interruption
 * copies only the partitions that were not finished.
 */
public final class TopicBackup {
    /** The prefix of the pipeline's topics: what a backup takes when no topics are named. */
    static final String TOPIC_PREFIX = "toolformer.";
    private static final Duration STALL = Duration.ofSeconds(60);

    private final KafkaSettings kafka;
    private final Path dir;
    private final Progress progress;
    private final Clock clock;

    private final boolean offsets;

    /** A backup that also saves the consumer groups' committed offsets (see {@link #groupOffsets}). */
    public TopicBackup(KafkaSettings kafka, Path dir, Progress progress, Clock clock) {
        this(kafka, dir, progress, clock, true);
    }

    /** @param offsets whether to save the consumer groups' committed offsets on the backed-up topics */
    public TopicBackup(KafkaSettings kafka, Path dir, Progress progress, Clock clock, boolean offsets) {
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.dir = Objects.requireNonNull(dir, "dir == null");
        this.progress = Objects.requireNonNull(progress, "progress == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
        this.offsets = offsets;
    }

    /**
     * Backs up {@code topics} (every {@code toolformer.*} topic when empty), or resumes the interrupted
     * backup in the directory, and returns the completed manifest.
     */
    public BackupManifest run(List<String> topics) throws InterruptedException {
        try (Admin admin = BackupClients.admin(kafka);
             KafkaConsumer<byte[], byte[]> consumer = BackupClients.consumer(kafka, "backup")) {
            BackupManifest manifest = prepare(admin, consumer, topics);
            for (TopicEntry topic : manifest.topics()) {
                manifest = backUpTopic(consumer, manifest, topic);
            }
            manifest = manifest.completedAt(clock.millis());
            manifest.write(dir);
            return manifest;
        }
    }

    /** The manifest to work from: the interrupted one in the directory, or a new one written now. */
    private BackupManifest prepare(Admin admin, KafkaConsumer<byte[], byte[]> consumer, List<String> requested)
            throws InterruptedException {
        var existing = BackupManifest.read(dir);
        if (existing.isPresent()) {
            BackupManifest m = existing.get();
            List<String> names = m.topics().stream().map(TopicEntry::name).toList();
            if (m.complete()) {
                throw new IllegalArgumentException(dir + " already holds a complete backup (" + m.records()
                        + " records of " + names + "); back up into a new directory");
            }
            if (!requested.isEmpty() && !Set.copyOf(requested).equals(Set.copyOf(names))) {
                throw new IllegalArgumentException(dir + " holds an interrupted backup of " + names
                        + ", not of " + requested + "; resume it with the same --topics, or use a new directory");
            }
            return m;
        }
        requireEmpty(dir);
        List<String> topics = select(admin, requested);
        // Offsets first, then the ranges: a request committed before the offsets were read had its result written
        // before that, so inside the results' range; reading them the other way round could save a request as done
        // whose result falls after the range, and lose that result.
        List<GroupEntry> groups = offsets ? groupOffsets(admin, topics) : List.of();
        List<TopicEntry> entries = describe(admin, consumer, topics);
        BackupManifest m = new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, clock.millis(), null,
                kafka.bootstrapServers(), entries, groups);
        m.write(dir);
        return m;
    }

    private BackupManifest backUpTopic(KafkaConsumer<byte[], byte[]> consumer, BackupManifest manifest,
                                       TopicEntry topic) {
        List<PartitionEntry> todo = topic.partitions().stream().filter(p -> !p.complete()).toList();
        if (todo.isEmpty()) {
            return manifest;
        }
        long total = todo.stream().mapToLong(p -> p.endOffset() - p.startOffset()).sum();
        try (Progress.Bar bar = progress.start("backup " + topic.name(), total)) {
            for (PartitionEntry partition : todo) {
                manifest = manifest.with(topic.name(), copy(consumer, topic.name(), partition, bar));
                manifest.write(dir);
            }
        }
        return manifest;
    }

    /** Copies one partition's offset range into its file; returns its completed entry. */
    private PartitionEntry copy(KafkaConsumer<byte[], byte[]> consumer, String topic, PartitionEntry entry,
                                Progress.Bar bar) {
        Path file = dir.resolve(entry.file());
        Path part = file.resolveSibling(file.getFileName() + ".part");
        TopicPartition tp = new TopicPartition(topic, entry.partition());
        long records = 0;
        Long first = null;
        Long last = null;
        try {
            Files.createDirectories(file.getParent());
            try (DataFileWriter<GenericRecord> writer = new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(BackupFormat.SCHEMA))) {
                writer.setCodec(CodecFactory.deflateCodec(CodecFactory.DEFAULT_DEFLATE_LEVEL));
                writer.setMeta(BackupFormat.META_TOPIC, topic);
                writer.setMeta(BackupFormat.META_PARTITION, entry.partition());
                writer.create(BackupFormat.SCHEMA, part.toFile());
                consumer.assign(List.of(tp));
                consumer.seek(tp, entry.startOffset());
                long position = consumer.position(tp);
                long lastProgress = clock.millis();
                while (position < entry.endOffset()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.offset() >= entry.endOffset()) {
                            break;
                        }
                        writer.append(BackupFormat.toAvro(r));
                        records++;
                        first = first == null ? r.timestamp() : Math.min(first, r.timestamp());
                        last = last == null ? r.timestamp() : Math.max(last, r.timestamp());
                        bar.step(1);
                    }
                    long now = consumer.position(tp);
                    if (now != position) {
                        position = now;
                        lastProgress = clock.millis();
                    } else if (clock.millis() - lastProgress > STALL.toMillis()) {
                        throw new IllegalStateException("no progress reading " + tp + " at offset " + position
                                + " of [" + entry.startOffset() + ", " + entry.endOffset() + ") for " + STALL.toSeconds() + " s");
                    }
                }
            }
            // Compaction, aborted transactions and retention leave fewer records than offsets.
            bar.step(entry.endOffset() - entry.startOffset() - records);
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return entry.completed(records, first, last, Files.size(file), BackupManifest.sha256(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + part, e);
        }
    }

    private static void requireEmpty(Path dir) {
        try {
            Files.createDirectories(dir);
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(dir + " is not empty and holds no backup manifest; "
                            + "back up into a new or empty directory");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + dir + " as the backup directory", e);
        }
    }

    /** The requested topics (each must exist), or every {@code toolformer.*} topic of the cluster. */
    private static List<String> select(Admin admin, List<String> requested) throws InterruptedException {
        Set<String> existing = get(admin.listTopics().names());
        if (requested.isEmpty()) {
            List<String> all = existing.stream().filter(t -> t.startsWith(TOPIC_PREFIX)).sorted().toList();
            if (all.isEmpty()) {
                throw new IllegalArgumentException("the cluster has no " + TOPIC_PREFIX + "* topics to back up");
            }
            return all;
        }
        List<String> missing = requested.stream().filter(t -> !existing.contains(t)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no such topic(s) on the cluster: " + missing);
        }
        return List.copyOf(new LinkedHashSet<>(requested));
    }

    /** Partitions, replication factor, non-default configs and offset ranges of each topic, now. */
    private static List<TopicEntry> describe(Admin admin, KafkaConsumer<byte[], byte[]> consumer, List<String> topics)
            throws InterruptedException {
        Map<String, TopicDescription> descriptions = get(admin.describeTopics(topics).allTopicNames());
        List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());
        List<TopicPartition> partitions = new ArrayList<>();
        descriptions.values().forEach(d -> d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
        Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        List<TopicEntry> entries = new ArrayList<>();
        for (String topic : topics) {
            TopicDescription d = descriptions.get(topic);
            List<PartitionEntry> parts = d.partitions().stream().map(p -> {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                return new PartitionEntry(p.partition(), start.get(tp), end.get(tp), 0, null, null,
                        BackupFormat.fileName(topic, p.partition()), 0, null, false);
            }).toList();
            entries.add(new TopicEntry(topic, d.partitions().size(), d.partitions().getFirst().replicas().size(),
                    topicConfigs(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic))), parts));
        }
        return entries;
    }

    /**
     * The committed offsets on {@code topics} of every consumer group that is not a Kafka Streams app, read before
     * the offset ranges are fixed: the executors' group (so a restored fleet does not run again what it had
     * done) and the incident responder's (so it does not notify again). A Streams app (one with
     * {@code <application.id>-...-changelog} or {@code -repartition} topics) is left out: its state stores are
     * not in the backup, so it must recompute from the restored records rather than resume.
     */
    static List<GroupEntry> groupOffsets(Admin admin, List<String> topics) throws InterruptedException {
        Set<String> allTopics = get(admin.listTopics(new ListTopicsOptions().listInternal(false)).names());
        Set<String> backedUp = Set.copyOf(topics);
        List<GroupEntry> groups = new ArrayList<>();
        List<String> ids = get(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()).stream()
                .map(GroupListing::groupId).sorted().toList();
        for (String group : ids) {
            boolean streamsApp = allTopics.stream().anyMatch(t -> t.startsWith(group + "-")
                    && (t.endsWith("-changelog") || t.endsWith("-repartition")));
            if (streamsApp) {
                continue;
            }
            Map<TopicPartition, OffsetAndMetadata> committed =
                    get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            List<GroupOffset> offsets = committed.entrySet().stream()
                    .filter(e -> e.getValue() != null && backedUp.contains(e.getKey().topic()))
                    .map(e -> new GroupOffset(e.getKey().topic(), e.getKey().partition(), e.getValue().offset()))
                    .sorted(Comparator.comparing(GroupOffset::topic).thenComparingInt(GroupOffset::partition))
                    .toList();
            if (!offsets.isEmpty()) {
                groups.add(new GroupEntry(group, offsets));
            }
        }
        return groups;
    }

    /** The configs set on the topic itself (not broker defaults): what a restore recreates it with. */
    private static Map<String, String> topicConfigs(Config config) {
        Map<String, String> out = new TreeMap<>();
        for (ConfigEntry e : config.entries()) {
            if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && !e.isSensitive() && e.value() != null) {
                out.put(e.name(), e.value());
            }
        }
        return out;
    }

    public static <T> T get(KafkaFuture<T> future) throws InterruptedException {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the cluster did not answer within 60 s", e);
        }
    }
}
