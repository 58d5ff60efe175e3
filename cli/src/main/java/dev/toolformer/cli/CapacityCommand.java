package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import dev.toolformer.cli.DurationConverter;
import dev.toolformer.cli.KafkaOptions;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.ops.BackupClients;
import dev.toolformer.ops.BackupManifest;
import dev.toolformer.ops.CapacityOutput;
import dev.toolformer.ops.CapacityPlanner;
import dev.toolformer.ops.TopicBackup;
import dev.toolformer.ops.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer capacity}: forecast load and resources, recommend replicas and partitions. */
@Command(name = "capacity", mixinStandardHelpOptions = true,
        description = {"Forecast throughput, in-flight requests, heap and CPU from the history of toolformer.slo and "
                + "toolformer.health (least squares on trend, hour of day and weekday), and recommend executor replicas "
                + "and toolformer.requests partitions, with the reasoning."})
public final class CapacityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--horizon", paramLabel = "DURATION", defaultValue = "24h", converter = DurationConverter.class,
            description = "How far ahead to forecast (default: ${DEFAULT-VALUE}).")
    Duration horizon;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "0",
            description = "Executors running now (default: those UP in the last hour of toolformer.health).")
    int replicas;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "10000",
            description = "In-flight limit of one executor, as its --max-in-flight (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--json", description = "Print the forecast and recommendations as JSON.")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a page with a chart per metric to FILE.")
    Path html;

    @Override
    public Integer call() throws Exception {
        if (horizon.toHours() < 1 || horizon.compareTo(Duration.ofDays(30)) > 0) {
            throw new IllegalArgumentException("--horizon must be between 1h and 30d, was " + horizon);
        }
        if (replicas < 0 || maxInFlight < 1) {
            throw new IllegalArgumentException("--replicas must be >= 0 and --max-in-flight >= 1");
        }
        var history = CapacityPlanner.history(TopicReader.read(kafka.settings(), Topics.SLO, Instant.EPOCH),
                TopicReader.read(kafka.settings(), Topics.HEALTH, Instant.EPOCH));
        int partitions;
        try (Admin admin = BackupClients.admin(kafka.settings())) {
            partitions = TopicBackup.get(admin.describeTopics(List.of(Topics.REQUESTS.name())).allTopicNames())
                    .get(Topics.REQUESTS.name()).partitions().size();
        }
        var plan = CapacityPlanner.plan(history,
                new CapacityPlanner.Inputs(replicas, partitions, maxInFlight, horizon), Clock.systemUTC().instant());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(BackupManifest.JSON.writeValueAsString(CapacityOutput.json(plan)));
        } else {
            CapacityOutput.text(plan, out);
        }
        if (html != null) {
            Files.writeString(html, CapacityOutput.html(plan));
            System.err.println("toolformer capacity: wrote " + html);
        }
        out.flush();
        return 0;
    }
}
