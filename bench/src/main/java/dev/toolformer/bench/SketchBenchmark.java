package dev.toolformer.bench;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
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
 * DDSketch as the analytics topology uses it (1 % relative accuracy, at most 2,048 bins, collapsing the
 * lowest): one latency added, two window sketches merged, and the store round trip the aggregation does
 * per result (decode the stored sketch, add one value, encode it again).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SketchBenchmark {
    static final double RELATIVE_ACCURACY = 0.01;
    static final int MAX_BINS = 2048;

    /** Values already in each sketch: a quiet minute, a busy one. */
    @Param({"1000", "60000"})
    int values;

    private final double[] latencies = new double[4096];
    private DDSketch sketch;
    private DDSketch other;
    private byte[] encoded;
    private int next;

    @Setup
    public void setUp() throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < latencies.length; i++) {
            // Log-normal around 120 ms, like the load generator's simulated calls.
            latencies[i] = 120 * Math.exp(0.5 * random.nextGaussian() - 0.125);
        }
        sketch = filled(random);
        other = filled(random);
        encoded = encode(sketch);
    }

    private DDSketch filled(SplittableRandom random) {
        DDSketch s = empty();
        for (int i = 0; i < values; i++) {
            s.accept(latencies[random.nextInt(latencies.length)]);
        }
        return s;
    }

    @Benchmark
    public DDSketch update() {
        sketch.accept(latencies[next++ & (latencies.length - 1)]);
        return sketch;
    }

    @Benchmark
    public DDSketch merge() {
        DDSketch merged = sketch.copy();
        merged.mergeWith(other);
        return merged;
    }

    @Benchmark
    public byte[] storeRoundTrip() throws IOException {
        DDSketch stored = DDSketch.decode(ByteArrayInput.wrap(encoded), () -> new CollapsingLowestDenseStore(MAX_BINS));
        stored.accept(latencies[next++ & (latencies.length - 1)]);
        return encode(stored);
    }

    @Benchmark
    public double quantileP99() {
        return sketch.getValueAtQuantile(0.99);
    }

    private static DDSketch empty() {
        return DDSketches.logarithmicCollapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }

    private static byte[] encode(DDSketch s) throws IOException {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
        s.encode(out, false);
        return out.trimmedCopy();
    }
}
