package dev.toolformer.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicScan;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a topic's values from a point in time up to its current end, for the reports. */
public final class TopicReader {
    private static final Logger log = LoggerFactory.getLogger(TopicReader.class);
    /** A report reads whole topics: minutes for millions of records, not forever on a broker that went away. */
    private static final Duration SCAN_LIMIT = Duration.ofMinutes(10);

    private TopicReader() {
    }

    /**
     * Every decodable value of {@code topic} whose record timestamp is at or after {@code from} (every
     * value for {@link Instant#EPOCH}) up to the end offsets at the time of the call. Undecodable
     * values are skipped and counted in the log: a report goes on without them.
     */
    public static <V extends SpecificRecord> List<V> read(KafkaSettings kafka, Topic<V> topic, Instant from) {
        AvroSerde<V> serde = AvroSerde.of(topic.valueType());
        List<V> out = new ArrayList<>();
        long[] skipped = {0};
        TopicScan.of(kafka, topic.name()).since(from).within(SCAN_LIMIT).mustExist().forEach(r -> {
            if (r.value() == null) {
                return;
            }
            try {
                out.add(serde.decode(r.value()));
            } catch (DecodeException e) {
                skipped[0]++;
            }
        });
        if (skipped[0] > 0) {
            log.warn("Skipped {} undecodable record(s) of {}", skipped[0], topic.name());
        }
        return out;
    }
}
