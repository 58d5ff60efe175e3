package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.toolformer.bench.harness.BenchCluster;
import dev.toolformer.bench.harness.BenchReport;
import dev.toolformer.bench.harness.BenchRun;
import dev.toolformer.bench.harness.BenchSettings;
import dev.toolformer.bench.harness.Progress;
import dev.toolformer.bench.harness.Scenario;
import dev.toolformer.cli.DurationConverter;
import dev.toolformer.cli.KafkaClientProperties;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.server.logging.LibraryLogs;
import dev.toolformer.server.logging.Logging;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code toolformer bench SCENARIO}: measures the pipeline against a bare Kafka relay measured in the same
 * run, on the embedded broker unless a cluster is given. Prints a table (stdout), shows progress (stderr),
 * and writes every field as JSON with {@code --json}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the pipeline against a bare two-hop Kafka relay measured in the same run.",
                "SCENARIO: relay, pipeline, latency, concurrency, scale, or all (every one, about 5 minutes on 2 cores).",
                "Ratios use the relay of the same run; scenarios that need it measure it first."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "relay, pipeline, latency, concurrency, scale or all.")
    String scenario;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster to measure on (default: a new embedded broker in a temporary directory).")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka client property, e.g. security.protocol=SASL_SSL; repeatable; wins over --kafka-config.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties file; keys with or without a 'kafka.' prefix.")
    Path kafkaConfig;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as one JSON object; '-' prints it instead of the table.")
    String json;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the topics the run creates (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor of the topics the run creates (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Option(names = "--records", defaultValue = "100000", description = "Records/requests measured at full speed in relay and pipeline (default: ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--warmup", defaultValue = "50000", description = "Records/requests sent before each full-speed measurement (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--rate", defaultValue = "1000", description = "Offered rate of the latency measurements, per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--latency-duration", defaultValue = "20s", converter = DurationConverter.class,
            description = "How long each latency measurement sends (default: ${DEFAULT-VALUE}).")
    Duration latencyDuration;

    @Option(names = "--concurrent-requests", defaultValue = "50000", description = "Requests submitted at once in concurrency (default: ${DEFAULT-VALUE}).")
    int concurrentRequests;

    @Option(names = "--tool-latency", defaultValue = "1s", converter = DurationConverter.class,
            description = "How long concurrency's simulated tool sleeps (default: ${DEFAULT-VALUE}).")
    Duration toolLatency;

    @Option(names = "--instances", defaultValue = "1,2,4", split = ",", description = "Executor instance counts of scale (default: ${DEFAULT-VALUE}).")
    List<Integer> instances;

    @Option(names = "--scale-records", defaultValue = "50000", description = "Requests measured at full speed per instance count (default: ${DEFAULT-VALUE}).")
    long scaleRecords;

    @Option(names = "--scale-duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long each instance count's latency measurement sends (default: ${DEFAULT-VALUE}).")
    Duration scaleDuration;

    @Option(names = "--drain-timeout", defaultValue = "120s", converter = DurationConverter.class,
            description = "Longest wait for the last results after the last send (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--pairs", defaultValue = "3",
            description = "Interleaved relay/pipeline and relay/latency measurements, and concurrency bursts; the median and spread are reported (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--executor-heap", defaultValue = "512m",
            description = "Max heap (-Xmx) of concurrency's executor JVM (default: ${DEFAULT-VALUE}).")
    String executorHeap;

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    /** Runs {@code bench} on its own, without the rest of the CLI. */
    public static void main(String[] args) {
        Logging.configure(Logging.Format.TEXT, System.getenv().getOrDefault("TOOLFORMER_LOG_LEVEL", "WARN"), "toolformer-bench");
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Scenario> scenarios = Scenario.named(scenario);
        BenchSettings settings = new BenchSettings(partitions, replicationFactor, records, warmup, rate, latencyDuration,
                concurrentRequests, toolLatency, instances, scaleRecords, scaleDuration, drainTimeout, pairs,
                executorHeap);
        Progress progress = new Progress(System.err, !noProgress);
        long started = System.nanoTime();
        BenchReport report;
        progress.note("toolformer bench: " + (bootstrapServers == null ? "starting the embedded broker" : "using " + bootstrapServers));
        // The embedded broker's and the Kafka clients' lines go to a file, as in the demo: the console keeps the table.
        Path kafkaLog = Files.createTempFile("toolformer-bench-kafka-", ".log");
        try (AutoCloseable libraryLogs = LibraryLogs.to(kafkaLog);
             BenchCluster cluster = bootstrapServers == null ? BenchCluster.embedded(partitions)
                : BenchCluster.external(
                        new KafkaSettings(bootstrapServers, KafkaClientProperties.merge(kafkaConfig, kafkaProperties)),
                        partitions, replicationFactor)) {
            cluster.ensurePipelineTopics();
            BenchRun run = new BenchRun(cluster, settings, progress);
            for (Scenario s : scenarios) {
                run.run(s);
            }
            report = new BenchReport(header(cluster, Duration.ofNanos(System.nanoTime() - started)) + "; Kafka's log: "
                    + kafkaLog, run.results(), run.notes());
        }
        PrintWriter out = spec.commandLine().getOut();
        if ("-".equals(json)) {
            out.println(report.json());
            out.flush();
            return 0;
        }
        report.printTable(out);
        if (json != null) {
            report.writeJson(Path.of(json));
            out.println("JSON written to " + json);
            out.flush();
        }
        return 0;
    }

    private String header(BenchCluster cluster, Duration took) {
        return String.format(Locale.ROOT, "toolformer bench %s: %s, %d partitions; %d CPUs, Java %s, max heap %d MB; took %dm%02ds",
                scenario, cluster.isEmbedded() ? "embedded broker in this JVM" : "cluster " + bootstrapServers,
                cluster.partitions(), Runtime.getRuntime().availableProcessors(), Runtime.version().feature(),
                Runtime.getRuntime().maxMemory() / 1048576, took.toMinutes(), took.toSecondsPart());
    }
}
