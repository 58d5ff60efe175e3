package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The wire format is Avro's own: a request written by a generic Avro writer from the {@code .avsc}
 * file alone (as any language's Avro library would) is executed, and bytes that are not a request
 * go to the dead-letter topic with their reason while the requests around them still run.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ForeignProducerIT {

    @Test
    @Timeout(180)
    void shouldExecuteGenericAvroRequestsAndDeadLetterWhatIsNotARequest(KafkaTestCluster cluster) throws Exception {
        KafkaSettings kafka = cluster.settings();
        Schema schema = new Schema.Parser().parse(Files.readString(Path.of("../schemas/src/main/avro/ToolRequest.avsc")));
        Schema v1 = new Schema.Parser().parse(Files.readString(
                Path.of("../schemas/src/main/resources/avro-history/ToolRequest.v1.avsc")));
        String current = UUID.randomUUID().toString();
        String old = UUID.randomUUID().toString();
        String garbageKey = "garbage-" + UUID.randomUUID();
        String nullKey = "null-" + UUID.randomUUID();

        Map<String, ToolResult> results = new ConcurrentHashMap<>();
        Map<String, DeadLetter> deadLetters = new ConcurrentHashMap<>();
        ExecutorConfig config = new ExecutorConfig(cluster.uniqueName("executor"), cluster.uniqueName("group"),
                100, 1, Duration.ofMinutes(1), Duration.ofMillis(10), Duration.ofSeconds(5));
        try (TopicTail reader = reader(kafka, results, deadLetters);
             ToolExecutor executor = new ToolExecutor(config, kafka, ToolRegistry.discover(), Pricing.defaults(),
                     new SimpleMeterRegistry());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("foreign-producer"))) {
            executor.start();
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), garbageKey,
                    "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), current, encode(schema, request(schema, current))));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), nullKey, null));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), old, encode(v1, request(v1, old))));
            producer.flush();

            // A new group reads the topic from the start: earlier tests' requests run again, so wait for ours.
            await().atMost(Duration.ofSeconds(90)).until(() -> results.containsKey(current) && results.containsKey(old)
                    && deadLetters.containsKey(garbageKey) && deadLetters.containsKey(nullKey));
        }
        assertThat(results.get(current).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(results.get(current).getOutputJson()).isEqualTo("{\"from\":\"" + current + "\"}");
        assertThat(results.get(current).getProvider()).isEqualTo("generic");
        assertThat(results.get(old).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(results.get(old).getProvider()).isEmpty(); // v1 has no provider: the v2 default
        DeadLetter garbage = deadLetters.get(garbageKey);
        assertThat(garbage.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(garbage.getDetail()).startsWith("not Avro single-object encoding");
        assertThat(garbage.getOriginalTopic()).isEqualTo(Topics.REQUESTS.name());
        assertThat(StandardCharsets.UTF_8.decode(garbage.getOriginalValue()).toString()).isEqualTo("{\"not\":\"avro\"}");
        assertThat(deadLetters.get(nullKey).getReason()).isEqualTo(DeadLetterReason.NULL_VALUE);
        assertThat(deadLetters.get(nullKey).getOriginalValue()).isNull();
    }

    private static GenericRecord request(Schema schema, String id) {
        GenericData.Record record = new GenericData.Record(schema);
        record.put("request_id", id);
        record.put("correlation_id", id);
        record.put("tool", "echo");
        record.put("arguments_json", "{\"from\":\"" + id + "\"}");
        record.put("timeout_ms", 5_000L);
        record.put("submitted_at", System.currentTimeMillis());
        if (schema.getField("provider") != null) {
            for (Schema.Field field : schema.getFields()) {
                if (record.get(field.pos()) == null && field.hasDefaultValue()) {
                    record.put(field.pos(), GenericData.get().getDefaultValue(field));
                }
            }
            record.put("provider", "generic");
        }
        return record;
    }

    private static byte[] encode(Schema schema, GenericRecord record) throws IOException {
        ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Collects this test's results and dead letters by key. */
    private static TopicTail reader(KafkaSettings kafka, Map<String, ToolResult> results,
                                    Map<String, DeadLetter> deadLetters) {
        return new TopicTail(kafka, List.of(Topics.RESULTS, Topics.DLQ), r -> {
            if (r.topic().equals(Topics.RESULTS.name())) {
                results.put(r.key(), AvroSerde.of(ToolResult.class).decode(r.value()));
            } else {
                deadLetters.put(r.key(), AvroSerde.of(DeadLetter.class).decode(r.value()));
            }
        });
    }
}
