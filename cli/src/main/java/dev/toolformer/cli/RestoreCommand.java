package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.toolformer.cli.KafkaOptions;
import dev.toolformer.ops.Progress;
import dev.toolformer.ops.TopicRestore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer restore}: a backup back into a cluster. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup into the same or another cluster: each record to its original partition with "
                + "its key, value, headers and timestamp. Every file's SHA-256 is checked before anything is written; "
                + "missing topics are created with the backed-up configs; topics that already hold records are refused "
                + "without --force.",
                "Run it again after an interruption: it resumes without duplicating records."})
public final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--from", paramLabel = "DIR", required = true, description = "Backup directory (from 'toolformer backup').")
    Path from;

    @Option(names = "--topics", paramLabel = "TOPIC", split = ",",
            description = "Topics of the backup to restore, comma-separated (default: all of them).")
    List<String> topics = new ArrayList<>();

    @Option(names = "--force", description = "Add the backup's records to topics that already hold records.")
    boolean force;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Replication factor of topics the restore creates (default: the broker's default).")
    Short replicationFactor;

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        if (replicationFactor != null && replicationFactor < 1) {
            throw new IllegalArgumentException("--replication-factor must be >= 1, was " + replicationFactor);
        }
        Progress progress = noProgress ? Progress.NONE : Progress.bars(System.err);
        TopicRestore.Result result = new TopicRestore(kafka.settings(), from, progress, Clock.systemUTC())
                .run(topics, force, Optional.ofNullable(replicationFactor));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("restored %,d records of %d topic(s) from %s to %s%s%n", result.records(), result.topics().size(), from,
                kafka.bootstrapServers(), result.createdTopics().isEmpty() ? "" : " (created " + result.createdTopics() + ")");
        out.flush();
        result.warnings().forEach(w -> System.err.println("toolformer restore: warning: " + w));
        return 0;
    }
}
