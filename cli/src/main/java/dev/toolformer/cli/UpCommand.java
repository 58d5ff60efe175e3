package dev.toolformer.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.toolformer.producer.LoadGenerator;
import dev.toolformer.producer.LoadProfile;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.server.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code toolformer up}: the whole pipeline in one JVM until SIGINT/SIGTERM. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded Kafka broker (unless --bootstrap-servers) and every service; run until stopped.")
final class UpCommand implements Callable<Integer> {
    @Mixin
    PipelineOptions pipeline;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "Broker log and service state; kept across restarts (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--load", paramLabel = "RATE",
            description = "Also publish synthetic requests at RATE per second.")
    Double load;

    /** How often the running pipeline is asked whether a service has stopped on an error. */
    private static final Duration FAILURE_CHECK = Duration.ofMillis(500);

    @Override
    public Integer call() throws Exception {
        if (load != null && !(load > 0)) {
            throw new IllegalArgumentException("--load must be > 0 requests/s, was " + load);
        }
        Pipeline.Options options = pipeline.toOptions(dataDir);
        try (UntilStopped signal = new UntilStopped();
             Pipeline running = Pipeline.start(options)) {
            System.err.println("toolformer: pipeline up on Kafka " + running.kafka().bootstrapServers()
                    + "; HTTP on http://" + pipeline.httpHost + ":" + pipeline.httpPort + "/health/ready; Ctrl-C stops");
            Thread generator = load == null ? null
                    : Thread.ofPlatform().name("load-generator").start(() -> generate(running, signal));
            while (!signal.await(FAILURE_CHECK)) {
                Optional<RuntimeException> failed = running.failure();
                if (failed.isPresent()) {
                    throw failed.get();
                }
            }
            System.err.println("toolformer: shutting down");
            if (generator != null) {
                generator.interrupt();
                generator.join(Duration.ofSeconds(15));
            }
        }
        return 0;
    }

    private void generate(Pipeline running, UntilStopped signal) {
        try (ToolformerClient client = new ToolformerClient(running.kafka())) {
            new LoadGenerator(client, LoadProfile.defaults()).run(load, Duration.ofDays(3650), r -> { });
        } catch (RuntimeException e) {
            if (!signal.isStopped()) {
                System.err.println("toolformer: load generator stopped: " + e.getMessage());
            }
        }
    }
}
