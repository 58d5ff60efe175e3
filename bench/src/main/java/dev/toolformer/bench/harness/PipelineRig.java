package dev.toolformer.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The services of one measurement: {@code executors} executor instances in one new consumer group,
 * optionally the analytics topology under a new application id (both starting at the current end of
 * their topics), and a client that publishes requests and reads results. Closing stops them all.
 */
final class PipelineRig implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final List<ToolExecutor> executors = new ArrayList<>();
    private AnalyticsService analytics;
    private String analyticsId;
    private BenchCluster cluster;
    private Path stateDir;
    private ToolformerClient client;

    private PipelineRig() {
    }

    static PipelineRig start(BenchCluster cluster, int executors, int maxInFlight, boolean withAnalytics) {
        PipelineRig rig = new PipelineRig();
        try {
            rig.startAll(cluster, executors, maxInFlight, withAnalytics);
            return rig;
        } catch (RuntimeException | IOException | InterruptedException e) {
            rig.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start the pipeline: " + e.getMessage(), e);
        }
    }

    private void startAll(BenchCluster cluster, int count, int maxInFlight, boolean withAnalytics)
            throws IOException, InterruptedException {
        this.cluster = cluster;
        var kafka = cluster.kafka();
        if (withAnalytics) {
            String applicationId = cluster.uniqueName("toolformer-bench-analytics");
            analyticsId = applicationId;
            cluster.startGroupAtEnd(applicationId, BenchCluster.pipelineTopicNames());
            stateDir = Files.createTempDirectory("toolformer-bench-state-");
            analytics = new AnalyticsService(AnalyticsConfig.defaults(stateDir).withApplicationId(applicationId), kafka);
            started.push(analytics);
            analytics.start();
        }
        String groupId = cluster.uniqueName("toolformer-bench-executors");
        cluster.startGroupAtEnd(groupId, Set.of(Topics.REQUESTS.name()));
        for (int i = 1; i <= count; i++) {
            ExecutorConfig config = ExecutorConfig.builder(groupId + "-" + i).groupId(groupId).maxInFlight(maxInFlight).build();
            ToolExecutor executor = new ToolExecutor(config, kafka, ToolRegistry.discover(), Pricing.defaults(),
                    new SimpleMeterRegistry());
            started.push(executor);
            executors.add(executor);
            executor.start();
        }
        awaitReady();
        client = new ToolformerClient(kafka);
        started.push(client);
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!executors.stream().allMatch(ToolExecutor::isReady)
                || (analytics != null && analytics.state() != KafkaStreams.State.RUNNING)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("executors or analytics not ready within " + READY_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    /**
     * Waits until the analytics has committed every result published so far (at once without analytics), so that
     * what it still had to do does not run during the next measurement; returns how long that took, in seconds.
     */
    double awaitAnalyticsCaughtUp(Duration timeout) throws InterruptedException {
        if (analytics == null) {
            return 0;
        }
        long start = System.nanoTime();
        // Every result is published by now: the end offsets stay where they are while the analytics catches up.
        var published = cluster.endOffsets(Set.of(Topics.RESULTS.name()));
        while (cluster.lag(analyticsId, published) > 0) {
            if (System.nanoTime() - start > timeout.toNanos()) {
                throw new IllegalStateException("the analytics did not catch up with the results within "
                        + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    ToolformerClient client() {
        return client;
    }

    List<ToolExecutor> executors() {
        return executors;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable service = started.pop();
            try {
                if (service instanceof ToolExecutor executor) {
                    executor.close(Duration.ofSeconds(5));
                } else {
                    service.close();
                }
            } catch (Exception e) {
                System.err.println("toolformer bench: closing " + service.getClass().getSimpleName() + " failed: " + e);
            }
        }
        if (stateDir != null) {
            try (Stream<Path> paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("toolformer bench: could not delete " + stateDir + ": " + e.getMessage());
            }
        }
    }
}
