package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;

import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.common.serde.AvroSerde;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class SloAccumulatorHistoryTest {

    @Test
    void shouldRestoreAnSloWindowStoredBeforeTheLatencySloCountedSlowResults() throws Exception {
        Schema v1;
        try (InputStream in = getClass().getResourceAsStream("/avro-history/SloAccumulator.v1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        GenericRecord old = new GenericData.Record(v1);
        old.put("success", 3L);
        old.put("errors", 1L);
        old.put("timeouts", 0L);
        old.put("cancelled", 0L);
        old.put("rejected", 0L);
        old.put("latency_max_ms", 40L);
        old.put("execution_max_ms", 20L);
        old.put("latency_sketch", ByteBuffer.wrap(new byte[0]));
        old.put("execution_sketch", ByteBuffer.wrap(new byte[0]));
        ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);

        SloAccumulator restored = AvroSerde.of(SloAccumulator.class).decode(bytes.array());

        assertThat(restored.getSuccess()).isEqualTo(3);
        assertThat(restored.getErrors()).isEqualTo(1);
        assertThat(restored.getLatencySlow()).isZero();
    }
}
