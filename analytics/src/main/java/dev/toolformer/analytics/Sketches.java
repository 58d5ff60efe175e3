package dev.toolformer.analytics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.SparseStore;

/**
 * The DDSketches of the SLO windows: 1 % relative accuracy, at most {@value #MAX_BINS} bins (enough
 * for 1 ms .. 10^8 s; past that the lowest bins collapse, so high quantiles stay accurate). Bytes are
 * the sketch's own encoding ({@link DDSketch#encode}), which {@link DDSketch#decode} reads back;
 * {@code DDSketch.serialize()} writes protobuf instead, which {@code decode} rejects.
 *
 * <p>That encoding is a list of additions: two encodings one after the other decode as the merge of their
 * sketches. {@link #append} adds a value that way, without decoding the sketch, which is what the SLO windows do
 * per result (decoding and re-encoding both sketches of a window took ~10 µs and ~30 KB of garbage per result
 * and window; {@code SloAggregationBenchmark}).
 */
final class Sketches {
    static final double RELATIVE_ACCURACY = 0.01;
    static final int MAX_BINS = 2048;
    /** How many values {@link #append} adds to an encoding between two compactions (see there). */
    static final int COMPACT_EVERY = 256;
    /** The index mapping of {@link #empty()}'s sketches, which the values {@link #append}ed must share. */
    private static final IndexMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);

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

    /**
     * {@code encoded} (a sketch of {@link #empty()}'s kind) with {@code value} added: the encoding of a sketch of
     * that one value, without its index mapping, appended (about 5 bytes). With {@code compact} (the caller's
     * {@value #COMPACT_EVERY}th value since the last) the result is decoded and encoded again, as compact as
     * {@link #encode} makes it, so the encoding stays within one compact sketch plus {@value #COMPACT_EVERY} values.
     */
    static ByteBuffer append(ByteBuffer encoded, double value, boolean compact) {
        DDSketch one = new DDSketch(MAPPING, SparseStore::new);
        one.accept(value);
        if (!encoded.hasRemaining()) { // no sketch yet: the one value's, with its index mapping
            return encode(one);
        }
        GrowingByteArrayOutput tail = GrowingByteArrayOutput.withInitialCapacity(16);
        try {
            one.encode(tail, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode DDSketch", e);
        }
        byte[] added = tail.trimmedCopy();
        int length = encoded.remaining();
        byte[] bytes = new byte[length + added.length];
        encoded.duplicate().get(bytes, 0, length);
        System.arraycopy(added, 0, bytes, length, added.length);
        ByteBuffer appended = ByteBuffer.wrap(bytes);
        return compact ? encode(decode(appended)) : appended;
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
