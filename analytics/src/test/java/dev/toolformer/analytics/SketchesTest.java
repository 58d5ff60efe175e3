package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import com.datadoghq.sketch.ddsketch.DDSketch;
import org.junit.jupiter.api.Test;

class SketchesTest {

    @Test
    void shouldDecodeAppendedValuesAsTheSketchThatAcceptedThem() {
        SplittableRandom random = new SplittableRandom(3);
        DDSketch accepted = Sketches.empty();
        ByteBuffer appended = Sketches.encode(Sketches.empty());
        int maxLength = 0;
        for (int i = 1; i <= 10_000; i++) {
            // 0 ms (the zero bucket) now and then, else 1 ms .. 100 s
            double value = i % 97 == 0 ? 0 : Math.floor(Math.pow(10, 5 * random.nextDouble()));
            accepted.accept(value);
            appended = Sketches.append(appended, value, i % Sketches.COMPACT_EVERY == 0);
            maxLength = Math.max(maxLength, appended.remaining());
        }

        DDSketch decoded = Sketches.decode(appended);
        assertThat(decoded.getCount()).isEqualTo(accepted.getCount()).isEqualTo(10_000);
        for (double q : new double[] {0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1}) {
            assertThat(decoded.getValueAtQuantile(q)).as("quantile %s", q).isEqualTo(accepted.getValueAtQuantile(q));
        }
        // Compacted as it went: never more than one compact sketch plus the values since the last compaction.
        int compact = Sketches.encode(accepted).remaining();
        assertThat(maxLength).isLessThanOrEqualTo(compact + Sketches.COMPACT_EVERY * 8);
    }

    @Test
    void shouldCompactToTheSketchsOwnEncoding() {
        ByteBuffer appended = Sketches.encode(Sketches.empty());
        DDSketch accepted = Sketches.empty();
        for (int i = 1; i <= Sketches.COMPACT_EVERY; i++) {
            accepted.accept(i);
            appended = Sketches.append(appended, i, i == Sketches.COMPACT_EVERY);
        }

        assertThat(appended).isEqualTo(Sketches.encode(accepted));
    }

    @Test
    void shouldStartASketchOnNoBytes() {
        // A window stored before sketches were kept (its sketch fields empty) gets one on its next result.
        DDSketch decoded = Sketches.decode(Sketches.append(ByteBuffer.wrap(new byte[0]), 42, false));

        assertThat(decoded.getCount()).isEqualTo(1);
        assertThat(decoded.getValueAtQuantile(0.5)).isBetween(41.5, 42.5);
    }
}
