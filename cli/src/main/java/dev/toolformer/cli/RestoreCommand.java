package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
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

    @Option(names = "--offsets", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Put back the consumer groups' committed offsets saved by the backup, translated to the"
                    + " restored records, so the executors resume where they were instead of running every request"
                    + " again (default: on).")
    boolean offsets;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "Without --bootstrap-servers: the data directory of 'toolformer up'. The restore starts the"
                    + " embedded broker on it, restores, and stops it; 'up' then carries on from the restored state"
                    + " (default: ${DEFAULT-VALUE}). Stop 'up' first.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        if (replicationFactor != null && replicationFactor < 1) {
            throw new IllegalArgumentException("--replication-factor must be >= 1, was " + replicationFactor);
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--bootstrap-servers")) {
            return restore(kafka.settings(), kafka.bootstrapServers());
        }
        EmbeddedKafkaBroker broker;
        try {
            broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), 0);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start the embedded broker on " + dataDir.resolve("kafka")
                    + " (is 'toolformer up' running on it? stop it first): " + e.getMessage(), e);
        }
        try (broker) {
            return restore(KafkaSettings.of(broker.bootstrapServers()), "the embedded broker on " + dataDir);
        }
    }

    private int restore(KafkaSettings settings, String target) throws InterruptedException {
        Progress progress = noProgress ? Progress.NONE : Progress.bars(System.err);
        TopicRestore.Result result = new TopicRestore(settings, from, progress, Clock.systemUTC(), offsets)
                .run(topics, force, Optional.ofNullable(replicationFactor));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("restored %,d records of %d topic(s) from %s to %s%s%n", result.records(), result.topics().size(), from,
                target, result.createdTopics().isEmpty() ? "" : " (created " + result.createdTopics() + ")");
        if (!result.groups().isEmpty()) {
            out.printf("put back the committed offsets of consumer group(s) %s%n", result.groups());
        }
        out.flush();
        result.warnings().forEach(w -> System.err.println("toolformer restore: warning: " + w));
        return 0;
    }
}
