package dev.toolformer.ops;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * {@code manifest.json} of a backup directory: what was backed up (topic configs, partitions, offset
 * ranges, counts, SHA-256 of every file) and which partitions are complete, so an interrupted backup
 * resumes where it stopped.
 */
public record BackupManifest(String format, int version, long createdAt, Long completedAt, String source,
                      List<TopicEntry> topics, List<GroupEntry> consumerGroups) {
    static final String FILE = "manifest.json";
    static final String FORMAT = "toolformer-backup";
    static final int VERSION = 1;

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public BackupManifest {
        topics = List.copyOf(topics);
        // Backups made before consumer groups were saved have none.
        consumerGroups = consumerGroups == null ? List.of() : List.copyOf(consumerGroups);
    }

    /**
     * The committed offsets of one consumer group on the backed-up topics, read when the backup began (before a
     * record was copied): a restore translates them to the restored records' new offsets, so the group resumes
     * where it was rather than from the earliest record.
     */
    public record GroupEntry(String group, List<GroupOffset> offsets) {
        public GroupEntry {
            offsets = List.copyOf(offsets);
        }
    }

    /** A committed offset: the next record the group would read from the source partition. */
    public record GroupOffset(String topic, int partition, long offset) {
    }

    /** One topic: how to recreate it, and its partitions. */
    public record TopicEntry(String name, int partitionCount, int replicationFactor, Map<String, String> configs,
                      List<PartitionEntry> partitions) {
        public TopicEntry {
            configs = Map.copyOf(configs);
            partitions = List.copyOf(partitions);
        }

        public long records() {
            return partitions.stream().mapToLong(PartitionEntry::records).sum();
        }
    }

    /**
     * One partition: the offset range read ({@code [startOffset, endOffset)}, fixed when the backup began),
     * the records actually found in it (fewer than the range after compaction or aborted transactions),
     * and its file with size and SHA-256 once complete.
     */
    public record PartitionEntry(int partition, long startOffset, long endOffset, long records, Long firstTimestamp,
                          Long lastTimestamp, String file, long bytes, String sha256, boolean complete) {
        PartitionEntry completed(long records, Long firstTimestamp, Long lastTimestamp, long bytes, String sha256) {
            return new PartitionEntry(partition, startOffset, endOffset, records, firstTimestamp, lastTimestamp, file,
                    bytes, sha256, true);
        }
    }

    public boolean complete() {
        return completedAt != null;
    }

    public long records() {
        return topics.stream().mapToLong(TopicEntry::records).sum();
    }

    public Optional<TopicEntry> topic(String name) {
        return topics.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** This manifest with one partition replaced. */
    BackupManifest with(String topic, PartitionEntry entry) {
        List<TopicEntry> updated = new ArrayList<>();
        for (TopicEntry t : topics) {
            if (!t.name().equals(topic)) {
                updated.add(t);
                continue;
            }
            List<PartitionEntry> parts = new ArrayList<>(t.partitions());
            parts.replaceAll(p -> p.partition() == entry.partition() ? entry : p);
            updated.add(new TopicEntry(t.name(), t.partitionCount(), t.replicationFactor(), t.configs(), parts));
        }
        return new BackupManifest(format, version, createdAt, completedAt, source, updated, consumerGroups);
    }

    BackupManifest completedAt(long millis) {
        return new BackupManifest(format, version, createdAt, millis, source, topics, consumerGroups);
    }

    /** Reads {@code dir/manifest.json}; empty when the directory has none. */
    public static Optional<BackupManifest> read(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            BackupManifest m = JSON.readValue(Files.readAllBytes(file), BackupManifest.class);
            if (!FORMAT.equals(m.format()) || m.version() != VERSION) {
                throw new IllegalArgumentException(file + " is not a toolformer backup manifest (format "
                        + m.format() + " version " + m.version() + "; expected " + FORMAT + " version " + VERSION + ")");
            }
            return Optional.of(m);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code dir/manifest.json} atomically, so an interruption leaves the previous one intact. */
    void write(Path dir) {
        Path tmp = dir.resolve(FILE + ".tmp");
        try {
            Files.write(tmp, JSON.writeValueAsBytes(this));
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** Lower-case hex SHA-256 of a file's bytes. */
    static String sha256(Path file) {
        Objects.requireNonNull(file, "file == null");
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
