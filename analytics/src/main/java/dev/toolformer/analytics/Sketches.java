package dev.toolformer.analytics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;

/**
 * The DDSketches of the SLO windows: 1 % relative accuracy, at most {@value #MAX_BINS} bins (enough
 * for 1 ms .. 10^8 s; past that the lowest bins collapse, so high quantiles stay accurate). Bytes are
 * the sketch's own encoding ({@link DDSketch#encode}), which {@link DDSketch#decode} reads back;
 * {@code DDSketch.serialize()} writes protobuf instead, which {@code decode} rejects.
 */
final class Sketches {
    static final double RELATIVE_ACCURACY = 0.01;
    static final int MAX_BINS = 2048;

    private Sketches() {
    }

    static DDSketch empty() {
        return DDSketches.logarithmicCollapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }

    static ByteBuffer encode(DDSketch sketch) {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
        try {
            sketch.encode(out, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode DDSketch", e);
        }
        return ByteBuffer.wrap(out.trimmedCopy());
    }

    static DDSketch decode(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        try {
            return DDSketch.decode(ByteArrayInput.wrap(copy), () -> new CollapsingLowestDenseStore(MAX_BINS));
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt DDSketch (" + copy.length + " bytes)", e);
        }
    }

    /** The value at {@code quantile}, or 0 for an empty sketch (a window always has one value, though). */
    static double quantile(DDSketch sketch, double quantile) {
        return sketch.isEmpty() ? 0 : sketch.getValueAtQuantile(quantile);
    }
}
