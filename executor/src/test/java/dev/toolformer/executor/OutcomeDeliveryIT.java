package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.common.deadletter.DeadLetters;
import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.executor.tools.HttpTool;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No outcome vanishes: results and dead letters too large for a record, and an {@link Error} on a
 * record's thread, still end in a result or a dead letter the broker has — on a real broker, with a real
 * HTTP server answering more than a record can hold.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class OutcomeDeliveryIT {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final int LIMIT = RecordBudget.DEFAULT_MAX_REQUEST_SIZE;

    @Test
    @Timeout(120)
    void shouldAnswerHttpCallsWhoseResponseIsTooLargeForARecordWithAnErrorNamingTheSizes(KafkaTestCluster cluster)
            throws Exception {
        byte[] body = new byte[1_100_000];
        Arrays.fill(body, (byte) 'x');
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/big", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1:" + server.getAddress().getPort());
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("too-large-http").build(),
                    ToolRegistry.of(List.of(new HttpTool())), new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/big";
            List<ToolRequest> requests = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                requests.add(request("http", "{\"url\":\"" + url + "\"}").build());
            }
            Set<String> ids = requests.stream().map(ToolRequest::getRequestId).collect(Collectors.toSet());

            harness.send(requests);

            await().atMost(Duration.ofSeconds(60)).until(() -> harness.answered(ids) == 20);
            assertThat(ids).allSatisfy(id -> {
                ToolResult result = harness.result(id);
                assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
                assertThat(result.getOutputJson()).isNull();
                assertThat(result.getError().getType()).isEqualTo(RequestHandler.OUTPUT_TOO_LARGE);
                assertThat(result.getError().getRetriable()).isFalse();
                assertThat(result.getError().getMessage())
                        .matches("the result is \\d{7} bytes, more than the " + LIMIT + " bytes a record may have"
                                + " \\(producer max.request.size\\); the output was dropped \\(the call itself ended"
                                + " SUCCESS\\)");
            });
            assertThat(executor.failure()).isEmpty();
        } finally {
            System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
            server.stop(0);
        }
    }

    @Test
    @Timeout(90)
    void shouldAnswerAnEchoOfArgumentsNearTheRecordLimitWithAnOutputTooLargeError(KafkaTestCluster cluster)
            throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("too-large-echo").maxArgumentsBytes(LIMIT).build(),
                    ToolRegistry.of(List.of(new EchoTool())), new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            // As large as a request the producer still sends: its echo (with the executor's id and the
            // trace context added) is not.
            ToolRequest request = requestOfSize("echo", LIMIT - 130);
            ToolRequest small = request("echo", "{\"n\":1}").build();

            harness.send(List.of(request, small));

            await().atMost(Duration.ofSeconds(30)).until(() -> harness.answered(
                    Set.of(request.getRequestId(), small.getRequestId())) == 2);
            ToolResult result = harness.result(request.getRequestId());
            assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(result.getError().getType()).isEqualTo(RequestHandler.OUTPUT_TOO_LARGE);
            assertThat(result.getError().getMessage()).contains("more than the " + LIMIT + " bytes a record may have");
            assertThat(harness.result(small.getRequestId()).getStatus()).isEqualTo(ToolStatus.SUCCESS);
        }
    }

    @Test
    @Timeout(90)
    void shouldDeadLetterAPoisonRecordNearTheLimitWithItsValueCutAndHashed(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("too-large-poison").build(),
                    ToolRegistry.of(List.of(new EchoTool())), new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            String key = "big-poison-" + UUID.randomUUID();
            // Garbage as large as the producer still sends; its dead letter (the value plus where it came from and
            // why) is larger.
            byte[] poison = new byte[LIMIT - 200];
            ThreadLocalRandom.current().nextBytes(poison);
            ToolRequest after = request("echo", "{\"n\":1}").build();

            harness.sendRaw(1, key, poison);
            harness.sendToPartition(1, after);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(harness.deadLetters(Set.of(key))).hasSize(1);
                assertThat(harness.result(after.getRequestId())).isNotNull();
            });
            DeadLetter letter = harness.deadLetters(Set.of(key)).get(0);
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE);
            assertThat(letter.getOriginalValueSize()).isEqualTo(poison.length);
            assertThat(letter.getOriginalValueSha256()).isEqualTo(DeadLetters.sha256(poison));
            byte[] kept = ExecutorHarness.bytes(letter.getOriginalValue());
            assertThat(kept.length).isBetween(poison.length - 4_096, poison.length - 1);
            assertThat(AvroSerde.of(DeadLetter.class).encode(letter).length).isLessThan(LIMIT - 128);
        }
    }

    @Test
    @Timeout(90)
    void shouldDeadLetterARecordWhoseThreadThrowsAnErrorAndRunTheNextRecordOfItsKey(KafkaTestCluster cluster)
            throws Exception {
        // An Error thrown on a record's own thread, from outside the request runner: the meter registry fails
        // to create the counter of one provider.
        SimpleMeterRegistry meters = new SimpleMeterRegistry() {
            @Override
            protected Counter newCounter(Meter.Id id) {
                if ("error-provider".equals(id.getTag("provider"))) {
                    throw new AssertionError("meter registry broken for " + id.getName());
                }
                return super.newCounter(id);
            }
        };
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("error-key").processingOrder(ProcessingOrder.KEY)
                    .build(), ToolRegistry.of(List.of(new EchoTool())), meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            String key = "same-key-" + UUID.randomUUID();
            ToolRequest first = request("echo", "{\"n\":1}").setProvider("error-provider").build();
            ToolRequest second = request("echo", "{\"n\":2}").build();

            harness.sendRaw(2, key, REQUESTS.encode(first));
            harness.sendRaw(2, key, REQUESTS.encode(second));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(harness.deadLetters(Set.of(key))).hasSize(1);
                assertThat(harness.result(second.getRequestId())).isNotNull();
            });
            DeadLetter letter = harness.deadLetters(Set.of(key)).get(0);
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.INTERNAL);
            // The first meter of the provider: its breaker's (resilience4j binder) or its request counter.
            assertThat(letter.getDetail()).startsWith("java.lang.AssertionError: meter registry broken for ");
            assertThat(harness.result(second.getRequestId()).getStatus()).isEqualTo(ToolStatus.SUCCESS);
            await().atMost(Duration.ofSeconds(10)).until(() -> executor.inFlight() == 0);
        }
    }

    @Test
    @Timeout(120)
    void shouldHoldNoMoreRequestBytesInFlightThanItsBudget(KafkaTestCluster cluster) throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        ToolRegistry tools = ToolRegistry.of(List.of(TestTools.tool("hold", call -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(300);
            } finally {
                running.decrementAndGet();
            }
            return ToolOutput.of("{}");
        })));
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            long budget = 2_500_000;
            ToolExecutor executor = harness.start(harness.config("byte-budget").maxInFlight(100)
                    .maxInFlightBytes(budget).build(), tools, new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            List<ToolRequest> requests = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                requests.add(requestOfSize("hold", 800_000));
            }
            Set<String> ids = requests.stream().map(ToolRequest::getRequestId).collect(Collectors.toSet());

            harness.send(requests);

            await().atMost(Duration.ofSeconds(90)).until(() -> harness.answered(ids) == 12);
            assertThat(ids).allSatisfy(id -> assertThat(harness.result(id).getStatus()).isEqualTo(ToolStatus.SUCCESS));
            // 800 KB each: three fit under 2.5 MB, the fourth would not.
            assertThat(peak.get()).isBetween(1, 3);
            assertThat(executor.peakInFlightBytesForTest()).isBetween(800_000L, budget);
        }
    }

    /** A request to {@code tool} whose encoding is {@code bytes} long. */
    private static ToolRequest requestOfSize(String tool, int bytes) {
        ToolRequest.Builder builder = request(tool, "{}");
        int overhead = REQUESTS.encode(builder.setArgumentsJson("{\"pad\":\"\"}").build()).length;
        int pad = bytes - overhead;
        // Varints of the longer string take a few more bytes: trim until it is exact.
        for (int i = 0; i < 8; i++) {
            ToolRequest request = builder.setArgumentsJson("{\"pad\":\"" + "p".repeat(pad) + "\"}").build();
            int size = REQUESTS.encode(request).length;
            if (size == bytes) {
                return request;
            }
            pad -= size - bytes;
        }
        throw new IllegalStateException("cannot make a request of " + bytes + " bytes");
    }
}
