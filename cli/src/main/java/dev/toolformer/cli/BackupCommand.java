package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.toolformer.cli.KafkaOptions;
import dev.toolformer.ops.BackupManifest;
import dev.toolformer.ops.BackupManifest.TopicEntry;
import dev.toolformer.ops.Progress;
import dev.toolformer.ops.TopicBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer backup}: topics to Avro container files plus a manifest. */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Back up every toolformer.* topic (or those named) to DIR: one Avro object container file per "
                + "partition, and manifest.json with topic configs, partitions, offsets, counts and SHA-256 per file.",
                "Run it again with the same DIR to resume an interrupted backup."})
public final class BackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--to", paramLabel = "DIR", required = true,
            description = "Backup directory: new or empty, or holding an interrupted backup to resume.")
    Path to;

    @Option(names = "--topics", paramLabel = "TOPIC", split = ",",
            description = "Topics to back up, comma-separated (default: every toolformer.* topic).")
    List<String> topics = new ArrayList<>();

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    @Option(names = "--offsets", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also save the committed offsets of the consumer groups on the backed-up topics (the"
                    + " executors', the incident responder's; not Kafka Streams apps, which recompute), so a restored"
                    + " fleet resumes where it was instead of running every request again (default: on).")
    boolean offsets;

    @Override
    public Integer call() throws Exception {
        Progress progress = noProgress ? Progress.NONE : Progress.bars(System.err);
        BackupManifest m = new TopicBackup(kafka.settings(), to, progress, Clock.systemUTC(), offsets).run(topics);
        PrintWriter out = spec.commandLine().getOut();
        for (TopicEntry t : m.topics()) {
            out.printf("%-34s %3d partition(s) %,12d records%n", t.name(), t.partitionCount(), t.records());
        }
        for (BackupManifest.GroupEntry g : m.consumerGroups()) {
            out.printf("consumer group %-34s offsets of %d partition(s)%n", g.group(), g.offsets().size());
        }
        out.printf("backed up %,d records of %d topic(s) from %s to %s at %s%n", m.records(), m.topics().size(),
                m.source(), to, Instant.ofEpochMilli(m.completedAt()));
        out.flush();
        return 0;
    }
}
