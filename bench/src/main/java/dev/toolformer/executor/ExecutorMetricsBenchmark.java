package dev.toolformer.executor;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the executor's meters cost per published result ({@link ExecutorMetrics#result}): the request counter by
 * method, provider and status and the duration timer with the spec's buckets (on a simple registry, as
 * {@code toolformer bench} runs the executor). Four tool/provider/status series in turn.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExecutorMetricsBenchmark {
    private final ToolResult[] results = new ToolResult[4];
    private ExecutorMetrics metrics;
    private int next;

    @Setup
    public void setUp() {
        metrics = new ExecutorMetrics(new SimpleMeterRegistry(), "bench");
        Instant start = Instant.parse("2026-12-04T12:00:00Z");
        String[] tools = {"echo", "simulated"};
        ToolStatus[] statuses = {ToolStatus.SUCCESS, ToolStatus.ERROR};
        for (int i = 0; i < results.length; i++) {
            results[i] = ToolResult.newBuilder().setRequestId("req-" + i).setCorrelationId("corr")
                    .setTool(tools[i % 2]).setProvider("local").setModel("none").setStatus(statuses[i / 2])
                    .setAttempts(1).setSpeculative(false).setSubmittedAt(start).setStartedAt(start)
                    .setFinishedAt(start.plusMillis(40 + i)).build();
        }
    }

    @Benchmark
    public void result() {
        metrics.result(results[next++ & 3]);
    }
}
