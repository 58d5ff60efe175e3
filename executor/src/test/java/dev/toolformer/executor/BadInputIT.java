package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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
import dev.toolformer.schema.ToolRequest;
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
 * The bad-input corpus against a live executor: every case has its expected outcome (a dead letter
 * with its reason, or a REJECTED result with its error type), and valid requests sent between the bad
 * ones all succeed.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class BadInputIT {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);

    @Test
    @Timeout(180)
    void shouldGiveEveryBadInputItsOutcomeAndKeepServing(KafkaTestCluster cluster) throws Exception {
        KafkaSettings kafka = cluster.settings();
        Map<String, byte[]> poison = new LinkedHashMap<>();
        Map<String, DeadLetterReason> expectedDeadLetters = new LinkedHashMap<>();
        Map<String, ToolRequest> requests = new LinkedHashMap<>();
        Map<String, String> expectedRejections = new LinkedHashMap<>();
        List<String> expectedSuccesses = new ArrayList<>();

        byte[] valid = REQUESTS.encode(request("echo", "{}", 5_000).build());
        poison(poison, expectedDeadLetters, "random-bytes", randomBytes(64), DeadLetterReason.UNDECODABLE);
        poison(poison, expectedDeadLetters, "truncated", Arrays.copyOf(valid, valid.length / 2), DeadLetterReason.UNDECODABLE);
        byte[] wrongFingerprint = valid.clone();
        wrongFingerprint[5] ^= 0x5A;
        poison(poison, expectedDeadLetters, "wrong-fingerprint", wrongFingerprint, DeadLetterReason.UNKNOWN_SCHEMA);
        poison(poison, expectedDeadLetters, "null-value", null, DeadLetterReason.NULL_VALUE);

        reject(requests, expectedRejections, request("echo", "{not json", 5_000), "InvalidJson");
        reject(requests, expectedRejections, request("echo", "[1,2]", 5_000), "NotAnObject");
        reject(requests, expectedRejections, request("no-such-tool", "{}", 5_000), "UnknownTool");
        reject(requests, expectedRejections, request("http", "{\"method\":\"GET\"}", 5_000), "InvalidArguments");
        reject(requests, expectedRejections, request("echo", "{\"x\":\"" + "a".repeat(20_000) + "\"}", 5_000),
                "ArgumentsTooLarge");
        reject(requests, expectedRejections, request("echo", "{}", 0), "InvalidTimeout");
        reject(requests, expectedRejections, request("echo", "{}", -5), "InvalidTimeout");
        reject(requests, expectedRejections, request("echo", "{}", Duration.ofDays(1).toMillis()), "InvalidTimeout");

        // Accepted as they are: timestamps far away, a huge key, an older schema, a broken trace header.
        succeed(requests, expectedSuccesses, request("echo", "{}", 5_000).setSubmittedAt(Instant.parse("2100-01-01T00:00:00Z")));
        // Submitted so long ago that its deadline passed before it could start: answered TIMEOUT, not run.
        String expired = UUID.randomUUID().toString();
        requests.put(expired, request("echo", "{}", 5_000).setRequestId(expired).setSubmittedAt(Instant.EPOCH).build());
        for (int i = 0; i < 10; i++) {
            succeed(requests, expectedSuccesses, request("echo", "{\"valid\":" + i + "}", 5_000));
        }
        String duplicated = UUID.randomUUID().toString();
        ToolRequest twice = request("echo", "{\"twice\":true}", 5_000).setRequestId(duplicated).build();
        String v1Id = UUID.randomUUID().toString();
        String brokenTrace = UUID.randomUUID().toString();
        String hugeKey = "k".repeat(100_000);
        String hugeKeyId = UUID.randomUUID().toString();

        Map<String, ToolResult> results = new ConcurrentHashMap<>();
        List<ToolResult> duplicates = new CopyOnWriteArrayList<>();
        Map<String, DeadLetter> deadLetters = new ConcurrentHashMap<>();
        ExecutorConfig config = ExecutorConfig.builder(cluster.uniqueName("executor")).groupId(cluster.uniqueName("group"))
                .maxArgumentsBytes(10_000).maxTimeout(Duration.ofMinutes(10)).build();
        try (TopicTail reader = reader(kafka, results, duplicates, duplicated, deadLetters);
             ToolExecutor executor = new ToolExecutor(config, kafka, ToolRegistry.discover(), Pricing.defaults(),
                     new SimpleMeterRegistry());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("bad-input"))) {
            executor.start();
            poison.forEach((key, bytes) -> producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), key, bytes)));
            requests.forEach((id, r) -> producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, REQUESTS.encode(r))));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), duplicated, REQUESTS.encode(twice)));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), duplicated, REQUESTS.encode(twice)));
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), v1Id, v1Request(v1Id)));
            ProducerRecord<String, byte[]> traced = new ProducerRecord<>(Topics.REQUESTS.name(), brokenTrace,
                    REQUESTS.encode(request("echo", "{}", 5_000).setRequestId(brokenTrace).build()));
            traced.headers().add("traceparent", "00-not-a-trace-context".getBytes(StandardCharsets.UTF_8));
            producer.send(traced);
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), hugeKey,
                    REQUESTS.encode(request("echo", "{}", 5_000).setRequestId(hugeKeyId).build())));
            producer.flush();

            List<String> allResults = new ArrayList<>(requests.keySet());
            allResults.addAll(List.of(v1Id, brokenTrace, hugeKeyId));
            await().atMost(Duration.ofSeconds(120)).until(() -> results.keySet().containsAll(allResults)
                    && deadLetters.keySet().containsAll(poison.keySet()) && duplicates.size() >= 2);
        }
        expectedDeadLetters.forEach((key, reason) -> assertThat(deadLetters.get(key).getReason()).as(key).isEqualTo(reason));
        expectedRejections.forEach((id, type) -> {
            assertThat(results.get(id).getStatus()).as(id).isEqualTo(ToolStatus.REJECTED);
            assertThat(results.get(id).getError().getType()).as(id).isEqualTo(type);
            assertThat(results.get(id).getError().getMessage()).as(id).isNotBlank();
        });
        for (String id : expectedSuccesses) {
            assertThat(results.get(id).getStatus()).as(id).isEqualTo(ToolStatus.SUCCESS);
        }
        assertThat(results.get(expired).getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(results.get(expired).getError().getType()).isEqualTo(RequestRunner.EXPIRED_BEFORE_START);
        assertThat(results.get(expired).getAttempts()).isZero();
        assertThat(results.get(v1Id).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(results.get(brokenTrace).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(results.get(hugeKeyId).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        // A duplicated request id is run each time it is sent: at-least-once; consumers dedup on request_id.
        assertThat(duplicates).hasSize(2).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
    }

    private static ToolRequest.Builder request(String tool, String args, long timeoutMs) {
        String id = UUID.randomUUID().toString();
        return ToolRequest.newBuilder().setRequestId(id).setCorrelationId(id).setTool(tool).setArgumentsJson(args)
                .setTimeoutMs(timeoutMs).setSubmittedAt(Instant.now());
    }

    private static void poison(Map<String, byte[]> poison, Map<String, DeadLetterReason> expected, String name,
                               byte[] bytes, DeadLetterReason reason) {
        String key = name + "-" + UUID.randomUUID();
        poison.put(key, bytes);
        expected.put(key, reason);
    }

    private static void reject(Map<String, ToolRequest> requests, Map<String, String> expected, ToolRequest.Builder r,
                               String type) {
        ToolRequest request = r.build();
        requests.put(request.getRequestId(), request);
        expected.put(request.getRequestId(), type);
    }

    private static void succeed(Map<String, ToolRequest> requests, List<String> expected, ToolRequest.Builder r) {
        ToolRequest request = r.build();
        requests.put(request.getRequestId(), request);
        expected.add(request.getRequestId());
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    private static byte[] v1Request(String id) throws Exception {
        Schema v1 = new Schema.Parser().parse(Files.readString(
                Path.of("../schemas/src/main/resources/avro-history/ToolRequest.v1.avsc")));
        GenericData.Record record = new GenericData.Record(v1);
        record.put("request_id", id);
        record.put("correlation_id", id);
        record.put("tool", "echo");
        record.put("arguments_json", "{}");
        record.put("timeout_ms", 5_000L);
        record.put("submitted_at", System.currentTimeMillis());
        ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(record);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Collects results by request id (and every result of one id) and dead letters by key. */
    private static TopicTail reader(KafkaSettings kafka, Map<String, ToolResult> results, List<ToolResult> duplicates,
                                    String duplicated, Map<String, DeadLetter> deadLetters) {
        return new TopicTail(kafka, List.of(Topics.RESULTS, Topics.DLQ), r -> {
            if (r.topic().equals(Topics.RESULTS.name())) {
                ToolResult result = AvroSerde.of(ToolResult.class).decode(r.value());
                results.put(result.getRequestId(), result);
                if (result.getRequestId().equals(duplicated)) {
                    duplicates.add(result);
                }
            } else if (r.key() != null) {
                deadLetters.put(r.key(), AvroSerde.of(DeadLetter.class).decode(r.value()));
            }
        });
    }
}
