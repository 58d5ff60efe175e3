package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.server.logging.Logging;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A trace set on a published request continues through its execution: the result record carries the
 * same trace id, the executor's log lines about it carry it, and the {@code execute_tool} span is a
 * child with the GenAI attributes. A planted secret in the arguments appears in no log line.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class TracingIT {
    private static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        Logging.configure(Logging.Format.TEXT, "INFO", "test");
        TestTracing.reset();
    }

    @Test
    @Timeout(120)
    void shouldCarryTheTraceFromRequestToResultLogsAndSpans(KafkaTestCluster cluster) throws Exception {
        KafkaSettings kafka = cluster.settings();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        TestTracing.install(1.0, spans);
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.JSON, "DEBUG", "toolformer-test");

        ExecutorConfig config = new ExecutorConfig(cluster.uniqueName("executor"), cluster.uniqueName("group"),
                100, 1, Duration.ofMinutes(1), Duration.ofMillis(10), Duration.ofSeconds(5));
        Span agent = Tracing.tracer().spanBuilder("agent turn").startSpan();
        String traceId = agent.getSpanContext().getTraceId();
        String requestId;
        try (ToolExecutor executor = new ToolExecutor(config, kafka, ToolRegistry.discover(), Pricing.defaults(),
                new SimpleMeterRegistry());
             ToolformerClient client = new ToolformerClient(kafka)) {
            executor.start();
            ToolRequest request = client.newRequest("echo", "{\"q\":\"hi\",\"api_key\":\"sk-proj-plantedsecret0123456789\"}",
                    Duration.ofSeconds(10)).setProvider("openai").setModel("gpt-4o-mini").build();
            requestId = request.getRequestId();
            try (Scope scope = agent.makeCurrent()) {
                client.submit(request, Duration.ofSeconds(60)).get();
            }
        } finally {
            agent.end();
        }

        assertThat(Tracing.traceId(resultRecord(kafka, requestId).headers())).isEqualTo(traceId);
        List<JsonNode> lines = jsonLines(logs);
        assertThat(lines).filteredOn(l -> requestId.equals(l.path("request_id").asText()))
                .isNotEmpty()
                .allSatisfy(l -> {
                    assertThat(l.get("trace_id").asText()).isEqualTo(traceId);
                    assertThat(l.get("span_id").asText()).hasSize(16);
                    assertThat(l.get("service").asText()).isEqualTo("toolformer-test");
                });
        assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain("plantedsecret");
        AttributeKey<String> id = AttributeKey.stringKey("toolformer.request_id");
        String mine = requestId;
        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals("execute_tool echo") && mine.equals(s.getAttributes().get(id))));
        SpanData execute = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("execute_tool echo") && mine.equals(s.getAttributes().get(id)))
                .findFirst().orElseThrow();
        assertThat(execute.getTraceId()).isEqualTo(traceId);
        assertThat(execute.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name"))).isEqualTo("echo");
        assertThat(execute.getAttributes().get(AttributeKey.stringKey("gen_ai.system"))).isEqualTo("openai");
        assertThat(execute.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model"))).isEqualTo("gpt-4o-mini");
        assertThat(execute.getAttributes().get(AttributeKey.stringKey("toolformer.status"))).isEqualTo("SUCCESS");
        SpanData publish = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(Topics.REQUESTS.name() + " publish")
                        && mine.equals(s.getAttributes().get(MESSAGE_KEY)))
                .findFirst().orElseThrow();
        assertThat(publish.getParentSpanId()).isEqualTo(agent.getSpanContext().getSpanId());
        assertThat(execute.getParentSpanId()).isEqualTo(publish.getSpanId());
        // The result is published under the execution's span (OpenTelemetry's Kafka instrumentation), and its
        // record carries that publish span.
        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals(Topics.RESULTS.name() + " publish")
                        && mine.equals(s.getAttributes().get(MESSAGE_KEY))));
        SpanData result = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(Topics.RESULTS.name() + " publish")
                        && mine.equals(s.getAttributes().get(MESSAGE_KEY)))
                .findFirst().orElseThrow();
        assertThat(result.getParentSpanId()).isEqualTo(execute.getSpanId());
        assertThat(Span.fromContext(Tracing.extract(resultRecord(kafka, requestId).headers())).getSpanContext()
                .getSpanId()).isEqualTo(result.getSpanId());
    }

    private static ConsumerRecord<String, byte[]> resultRecord(KafkaSettings kafka, String requestId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null, "tracing-it"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (requestId.equals(record.key())) {
                        return record;
                    }
                }
            }
        }
        throw new AssertionError("no result record for " + requestId);
    }

    private static List<JsonNode> jsonLines(ByteArrayOutputStream logs) {
        ObjectMapper json = new ObjectMapper();
        return logs.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return json.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }
}
