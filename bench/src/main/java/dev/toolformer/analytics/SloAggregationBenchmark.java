package dev.toolformer.analytics;

import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an SLO window does for every result, twice per result (its tool/provider window and the global one):
 * the stored accumulator decoded (the window store keeps bytes), {@link SloAggregation#add}, encoded again and
 * stored for the next. The window starts with {@code values} results, with latencies spread over three orders of
 * magnitude, so its sketches have many bins.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SloAggregationBenchmark {
    private static final int RESULTS = 1024;

    @Param({"1000", "60000"})
    int values;

    private final ToolResult[] results = new ToolResult[RESULTS];
    private final AvroSerde<SloAccumulator> serde = AvroSerde.of(SloAccumulator.class);
    private byte[] stored;
    private int next;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(11);
        Instant start = Instant.parse("2026-12-04T12:00:00Z");
        for (int i = 0; i < RESULTS; i++) {
            long latency = (long) Math.pow(10, 1 + 3 * random.nextDouble());
            results[i] = ToolResult.newBuilder().setRequestId("req-" + i).setCorrelationId("corr").setTool("echo")
                    .setProvider("local").setModel("none").setStatus(ToolStatus.SUCCESS).setAttempts(1)
                    .setSpeculative(false).setSubmittedAt(start).setStartedAt(start.plusMillis(latency / 4))
                    .setFinishedAt(start.plusMillis(latency)).build();
        }
        SloAccumulator acc = SloAggregation.empty();
        for (int i = 0; i < values; i++) {
            acc = SloAggregation.add(results[i % RESULTS], acc, 2_000);
        }
        stored = serde.encode(acc);
    }

    /** One more result into the stored window, as the aggregation's store sees it (the window keeps growing). */
    @Benchmark
    public byte[] addOneResult() {
        SloAccumulator acc = serde.decode(stored);
        stored = serde.encode(SloAggregation.add(results[next++ & (RESULTS - 1)], acc, 2_000));
        return stored;
    }
}
