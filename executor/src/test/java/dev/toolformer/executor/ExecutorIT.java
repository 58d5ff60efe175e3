package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.executor.tools.SimulatedTool;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Throughput, dead letters, retries and deadlines of one executor on the embedded broker. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorIT {
    private static final ToolRegistry TOOLS = ToolRegistry.of(List.of(new EchoTool(), new SimulatedTool()));

    @Test
    @Timeout(90)
    void shouldCompleteTenThousandOneSecondRequestsNeverExceedingMaxInFlight(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("bulk").maxInFlight(2_000).build(), TOOLS,
                    new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            List<ToolRequest> requests = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                requests.add(request("simulated", "{\"latency_ms\":1000}").setTimeoutMs(60_000).build());
            }
            Set<String> ids = requests.stream().map(ToolRequest::getRequestId).collect(Collectors.toSet());

            harness.send(requests);

            await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                assertThat(executor.inFlight()).isLessThanOrEqualTo(2_000);
                assertThat(harness.answered(ids)).isEqualTo(10_000);
            });
            assertThat(ids).allSatisfy(id -> assertThat(harness.result(id).getStatus()).isEqualTo(ToolStatus.SUCCESS));
            ExecutorStats stats = executor.stats();
            assertThat(stats.peakInFlight()).isBetween(1_000, 2_000);
            assertThat(stats.completed()).isEqualTo(10_000);
            assertThat(harness.duplicates(ids)).isZero();
        }
    }

    @Test
    @Timeout(60)
    void shouldDeadLetterPoisonRecordsWhileValidRecordsAroundThemComplete(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ToolExecutor executor = harness.start(harness.config("poison").build(), TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            String suffix = UUID.randomUUID().toString();
            byte[] random = new byte[64];
            ThreadLocalRandom.current().nextBytes(random);
            byte[] wrongFingerprint = wrongFingerprint(request("echo", "{}").build());
            List<String> valid = new ArrayList<>();

            for (Map.Entry<String, byte[]> poison : Map.of("random-" + suffix, random,
                    "fingerprint-" + suffix, wrongFingerprint).entrySet()) {
                valid.add(sendValid(harness));
                harness.sendRaw(0, poison.getKey(), poison.getValue());
            }
            valid.add(sendValid(harness));
            harness.sendRaw(0, "null-" + suffix, null);
            valid.add(sendValid(harness));

            Set<String> keys = Set.of("random-" + suffix, "fingerprint-" + suffix, "null-" + suffix);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(harness.answered(valid)).isEqualTo(4);
                assertThat(harness.deadLetters(keys)).hasSize(3);
            });
            assertThat(valid).allSatisfy(id -> assertThat(harness.result(id).getStatus()).isEqualTo(ToolStatus.SUCCESS));
            Map<String, DeadLetter> byKey = harness.deadLetters(keys).stream().collect(Collectors.toMap(
                    d -> new String(ExecutorHarness.bytes(d.getOriginalKey())).replace("-" + suffix, ""), d -> d));
            assertThat(byKey.get("random").getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
            assertThat(ExecutorHarness.bytes(byKey.get("random").getOriginalValue())).isEqualTo(random);
            assertThat(byKey.get("fingerprint").getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
            assertThat(ExecutorHarness.bytes(byKey.get("fingerprint").getOriginalValue())).isEqualTo(wrongFingerprint);
            assertThat(byKey.get("null").getReason()).isEqualTo(DeadLetterReason.NULL_VALUE);
            assertThat(byKey.get("null").getOriginalValue()).isNull();
            assertThat(byKey.values()).allSatisfy(d -> {
                assertThat(d.getOriginalTopic()).isEqualTo(Topics.REQUESTS.name());
                assertThat(d.getOriginalPartition()).isZero();
                assertThat(d.getAttempts()).isZero();
                assertThat(d.getService()).isEqualTo("executor:" + executor.executorId());
            });
            assertThat(byKey.get("null").getOriginalOffset()).isGreaterThan(byKey.get("random").getOriginalOffset());
            assertThat(executor.stats().deadLetters()).isEqualTo(3);
            assertThat(meters.get("toolformer_executor_dead_letters_total").tags("reason", "UNDECODABLE")
                    .counter().count()).isEqualTo(1.0);
        }
    }

    private static String sendValid(ExecutorHarness harness) throws Exception {
        ToolRequest request = request("echo", "{\"n\":1}").build();
        harness.sendToPartition(0, request);
        return request.getRequestId();
    }

    /** A well-formed single-object encoding whose fingerprint names no known schema. */
    private static byte[] wrongFingerprint(ToolRequest request) {
        byte[] bytes = AvroSerde.of(ToolRequest.class).encode(request).clone();
        ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x1234_5678_9abc_def0L);
        return bytes;
    }

    @Test
    @Timeout(60)
    void shouldRetryThenReportErrorAndDeadLetterWhenRetriesAreExhausted(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("retries").maxAttempts(3).build(), TOOLS,
                    new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            ToolRequest failing = request("simulated", "{\"fail_probability\":1,\"retriable\":true,\"name\":\"flaky\"}")
                    .build();
            ToolRequest permanent = request("simulated", "{\"fail_probability\":1,\"name\":\"broken\"}").build();

            harness.send(List.of(failing, permanent));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(harness.result(failing.getRequestId())).isNotNull();
                assertThat(harness.result(permanent.getRequestId())).isNotNull();
                assertThat(harness.deadLetters(Set.of(failing.getRequestId()))).hasSize(1);
            });
            ToolResult exhausted = harness.result(failing.getRequestId());
            assertThat(exhausted.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(exhausted.getAttempts()).isEqualTo(3);
            assertThat(exhausted.getError().getType()).isEqualTo("RetriableToolException");
            assertThat(exhausted.getError().getMessage()).isEqualTo("simulated failure of flaky");
            DeadLetter letter = harness.deadLetters(Set.of(failing.getRequestId())).get(0);
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
            assertThat(letter.getAttempts()).isEqualTo(3);
            assertThat(letter.getDetail()).isEqualTo("RetriableToolException: simulated failure of flaky");
            assertThat(AvroSerde.of(ToolRequest.class).decode(ExecutorHarness.bytes(letter.getOriginalValue())))
                    .isEqualTo(failing);
            ToolResult broken = harness.result(permanent.getRequestId());
            assertThat(broken.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(broken.getAttempts()).isEqualTo(1);
            assertThat(harness.deadLetters(Set.of(permanent.getRequestId()))).isEmpty();
            assertThat(executor.stats().retries()).isEqualTo(2);
        }
    }

    @Test
    @Timeout(60)
    void shouldTimeOutRequestPastItsDeadlineAndRejectInvalidOnes(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("deadline").build(), TOOLS, new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            ToolRequest slow = request("simulated", "{\"latency_ms\":30000}").setTimeoutMs(300).build();
            ToolRequest unknown = request("nope", "{}").build();
            ToolRequest notJson = request("echo", "{oops").build();

            harness.send(List.of(slow, unknown, notJson));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(harness.answered(List.of(slow.getRequestId(), unknown.getRequestId(),
                            notJson.getRequestId()))).isEqualTo(3));
            ToolResult timeout = harness.result(slow.getRequestId());
            assertThat(timeout.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
            assertThat(timeout.getError().getType()).isEqualTo("Timeout");
            assertThat(harness.result(unknown.getRequestId()).getStatus()).isEqualTo(ToolStatus.REJECTED);
            assertThat(harness.result(unknown.getRequestId()).getError().getType()).isEqualTo("UnknownTool");
            assertThat(harness.result(notJson.getRequestId()).getError().getType()).isEqualTo("InvalidJson");
            assertThat(executor.stats().rejected()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> executor.inFlight() == 0);
        }
    }
}
