package dev.toolformer.app;

import java.nio.file.Path;
import java.time.Duration;

import dev.toolformer.producer.LoadGenerator;
import dev.toolformer.producer.LoadProfile;
import dev.toolformer.producer.ToolformerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code toolformer up}: the whole pipeline in one JVM until SIGINT/SIGTERM. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded Kafka broker (unless --bootstrap-servers) and every service; run until stopped.")
final class UpCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    PipelineOptions pipeline;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "Broker log and service state; kept across restarts (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--load", paramLabel = "RATE",
            description = "Also publish synthetic requests at RATE per second.")
    Double load;

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
            signal.await();
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
