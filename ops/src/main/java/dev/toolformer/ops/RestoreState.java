package dev.toolformer.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Progress of a restore into one cluster, kept beside the backup so an interrupted restore resumes.
 * For each partition it records the target's end offset when the restore began ({@code base}): since
 * nothing else may write to a restored topic meanwhile (empty, or {@code --force}), the records already
 * restored are exactly {@code current end offset - base}, even for sends acknowledged after the crash.
 */
public record RestoreState(String target, long startedAt, Map<String, Long> base, Set<String> completed) {

    public RestoreState {
        base = new TreeMap<>(base);
        completed = new TreeSet<>(completed);
    }

    static String key(String topic, int partition) {
        return topic + "/" + partition;
    }

    /** The state file of restores into {@code target}. */
    public static Path file(Path backupDir, String target) {
        return backupDir.resolve("restore-" + target.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
    }

    static Optional<RestoreState> read(Path file) {
        try {
            return Optional.of(BackupManifest.JSON.readValue(Files.readAllBytes(file), RestoreState.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read restore state " + file + ": " + e.getMessage()
                    + " (delete it to restart the restore from the beginning)", e);
        }
    }

    RestoreState withBase(String key, long offset) {
        Map<String, Long> b = new TreeMap<>(base);
        b.put(key, offset);
        return new RestoreState(target, startedAt, b, completed);
    }

    RestoreState withCompleted(String key) {
        Set<String> c = new TreeSet<>(completed);
        c.add(key);
        return new RestoreState(target, startedAt, base, c);
    }

    void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(tmp, BackupManifest.JSON.writeValueAsBytes(this));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write restore state " + file, e);
        }
    }
}
