package dev.toolformer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.toolformer.producer.LoadGenerator;
import dev.toolformer.producer.LoadProfile;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.server.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer demo}: the pipeline plus synthetic load for a while, then a summary. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline with synthetic load for a while, then print a summary and exit.")
final class DemoCommand implements Callable<Integer> {
    /** How long the summary waits for the speculation windows to count the last outcomes. */
    private static final Duration SPECULATION_WAIT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineOptions pipeline;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long to send load, e.g. 30s, 2m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "100",
            description = "Requests per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--failure-rate", paramLabel = "P", defaultValue = "0.005",
            description = "Probability that a simulated call fails (default: ${DEFAULT-VALUE}).")
    double failureRate;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep broker data and state here (default: a temporary directory, deleted at exit).")
    Path dataDir;

    @Option(names = "--incident", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Inject an incident midway: one provider fails for a quarter of the run (default: on;"
                    + " --no-incident turns it off).")
    boolean incident;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long to wait for the last results after the load stops (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Override
    public Integer call() throws Exception {
        if (!(rate > 0)) {
            throw new IllegalArgumentException("--rate must be > 0 requests/s, was " + rate);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be > 0, was " + duration);
        }
        LoadProfile defaults = LoadProfile.defaults();
        LoadProfile profile = new LoadProfile(defaults.echoShare(), defaults.speculativeShare(), failureRate,
                defaults.timeoutRate(), defaults.meanLatencyMs(), defaults.timeoutMs(), defaults.seed());
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("toolformer-demo-") : dataDir;
        PrintWriter out = spec.commandLine().getOut();
        Pipeline.Options options = pipeline.toOptions(dir);
        if (incident && options.alertRules() == null) {
            options = options.withAlertRules(IncidentInjector.demoRules());
        }
        try (Pipeline running = Pipeline.start(options)) {
            if (!running.awaitReady(Duration.ofSeconds(120))) {
                throw new IllegalStateException("services not ready after 120 s: " + running.notReady());
            }
            DemoSummary summary = run(running, profile, out);
            summary.print(out);
            out.flush();
            return summary.missing() == 0 ? 0 : 1;
        } finally {
            if (temporary) {
                deleteRecursively(dir);
            }
        }
    }

    private DemoSummary run(Pipeline running, LoadProfile profile, PrintWriter out) throws InterruptedException {
        Set<String> outstanding = ConcurrentHashMap.newKeySet();
        DemoSummary summary = new DemoSummary(rate, duration);
        try (ToolformerClient client = new ToolformerClient(running.kafka());
             AggregateWatcher aggregates = new AggregateWatcher(running.kafka())) {
            client.onResult(result -> {
                if (outstanding.remove(result.getRequestId())) {
                    summary.add(result);
                }
            });
            out.printf("toolformer demo: sending %.0f requests/s for %s; dashboard on http://%s:%d/%n", rate,
                    human(duration), pipeline.httpHost, running.httpPort());
            out.flush();
            Instant start = Instant.now();
            LoadGenerator generator = new LoadGenerator(client, profile);
            AtomicLong sent = new AtomicLong();
            Consumer<ToolRequest> track = r -> {
                outstanding.add(r.getRequestId());
                sent.incrementAndGet();
            };
            Thread injector = !incident ? null : Thread.ofPlatform().name("demo-incident").start(() ->
                    new IncidentInjector(client, duration, Math.max(5, rate / 10))
                            .run(track, () -> IncidentInjector.open(aggregates.alerts())));
            generator.run(rate, duration, track);
            if (injector != null) {
                injector.join();
            }
            summary.sent(sent.get(), generator.failedToSend());
            long deadline = System.nanoTime() + drainTimeout.toNanos();
            while (!outstanding.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            summary.finished(Duration.between(start, Instant.now()), outstanding.size());
            Thread.sleep(1500); // let the last SLO windows and alert transitions arrive
            summary.executor(running.executorStats());
            summary.alerts(aggregates.alerts());
            summary.incidents(aggregates.incidents(), running.executorCount());
            summary.sloWindows(aggregates.sloWindows());
            client.flush();
            long outcomes = generator.hitsReported() + generator.missesReported();
            summary.speculation(awaitSpeculation(aggregates, outcomes), outcomes);
        }
        return summary;
    }

    /**
     * The speculation windows once they count the {@code reported} outcomes, or as they are after a few seconds:
     * their finals come only after the speculation window (10 min) plus grace, so the summary reports open ones.
     */
    private static DemoSummary.Speculation awaitSpeculation(AggregateWatcher aggregates, long reported)
            throws InterruptedException {
        long deadline = System.nanoTime() + SPECULATION_WAIT.toNanos();
        DemoSummary.Speculation speculation = DemoSummary.Speculation.of(aggregates.speculationWindows());
        while (speculation.resolved() < reported && System.nanoTime() < deadline) {
            Thread.sleep(100);
            speculation = DemoSummary.Speculation.of(aggregates.speculationWindows());
        }
        return speculation;
    }

    static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("toolformer: could not delete " + dir + ": " + e.getMessage());
        }
    }
}
