package dev.toolformer.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ToolformerClientIT {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.678Z");

    @AfterEach
    void noSdk() {
        TestTracing.reset();
    }

    @Test
    void shouldPublishTheOutcomeKeyedByRequestIdDecidedNowWithCorrelationAndTraceHeaders(KafkaTestCluster cluster)
            throws Exception {
        String requestId = UUID.randomUUID().toString();
        // The agent application's SDK, given to the client, and its trace, as its framework would have made current.
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk agentSdk = TestTracing.install(1.0, spans);
        Span agent = Span.wrap(SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.getDefault()));
        RecordMetadata metadata;
        try (ToolformerClient client = new ToolformerClient(cluster.settings(), Clock.fixed(NOW, ZoneOffset.UTC),
                agentSdk);
             Scope ignored = agent.makeCurrent()) {
            metadata = client.reportOutcome(requestId, false, "agent took another path").get(30, TimeUnit.SECONDS);
        }

        ConsumerRecord<String, byte[]> record = read(cluster, metadata);
        assertThat(record.topic()).isEqualTo(Topics.SPECULATION_OUTCOMES.name());
        assertThat(record.key()).isEqualTo(requestId);
        assertThat(AvroSerde.of(SpeculationOutcome.class).decode(record.value())).isEqualTo(SpeculationOutcome
                .newBuilder().setRequestId(requestId).setUsed(false).setDecidedAt(NOW)
                .setReason("agent took another path").build());
        assertThat(header(record, ToolformerClient.CORRELATION_ID_HEADER)).isEqualTo(requestId);
        assertThat(Tracing.traceId(record.headers())).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        // OpenTelemetry's Kafka instrumentation: a PRODUCER span, child of the agent's, with the messaging attributes.
        SpanData publish = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(Topics.SPECULATION_OUTCOMES.name() + " publish"))
                .findFirst().orElseThrow();
        assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(publish.getParentSpanId()).isEqualTo("b7ad6b7169203331");
        assertThat(publish.getAttributes().get(AttributeKey.stringKey("messaging.system"))).isEqualTo("kafka");
        assertThat(publish.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")))
                .isEqualTo(Topics.SPECULATION_OUTCOMES.name());
        assertThat(Tracing.extract(record.headers())).satisfies(context -> assertThat(Span.fromContext(context)
                .getSpanContext().getSpanId()).isEqualTo(publish.getSpanId()));
    }

    @Test
    void shouldTraceNothingWithoutAnSdk(KafkaTestCluster cluster) throws Exception {
        // An application without OpenTelemetry: the API's no-op, no trace headers, nothing fails.
        RecordMetadata metadata;
        try (ToolformerClient client = new ToolformerClient(cluster.settings())) {
            metadata = client.reportOutcome(UUID.randomUUID().toString(), true, "").get(30, TimeUnit.SECONDS);
        }

        ConsumerRecord<String, byte[]> record = read(cluster, metadata);
        assertThat(record.headers().lastHeader("traceparent")).isNull();
        assertThat(header(record, ToolformerClient.CORRELATION_ID_HEADER)).isNotNull();
    }

    @Test
    void shouldReportTheOutcomeOfAResultUnderItsCorrelationId(KafkaTestCluster cluster) throws Exception {
        ToolResult result = ToolResult.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setCorrelationId("conversation-7").setTool("echo").setStatus(ToolStatus.SUCCESS).setAttempts(1)
                .setSpeculative(true).setSubmittedAt(NOW).setStartedAt(NOW).setFinishedAt(NOW).build();
        RecordMetadata metadata;
        try (ToolformerClient client = new ToolformerClient(cluster.settings(), Clock.fixed(NOW, ZoneOffset.UTC))) {
            metadata = client.reportOutcome(result, true, "").get(30, TimeUnit.SECONDS);
        }

        ConsumerRecord<String, byte[]> record = read(cluster, metadata);
        assertThat(record.key()).isEqualTo(result.getRequestId());
        SpeculationOutcome outcome = AvroSerde.of(SpeculationOutcome.class).decode(record.value());
        assertThat(List.of(outcome.getRequestId(), outcome.getUsed(), outcome.getReason()))
                .containsExactly(result.getRequestId(), true, "");
        assertThat(header(record, ToolformerClient.CORRELATION_ID_HEADER)).isEqualTo("conversation-7");
    }

    @Test
    void shouldRejectAMissingRequestIdReasonOrResult(KafkaTestCluster cluster) {
        try (ToolformerClient client = new ToolformerClient(cluster.settings())) {
            assertThatThrownBy(() -> client.reportOutcome((String) null, true, ""))
                    .isInstanceOf(NullPointerException.class).hasMessage("requestId == null");
            assertThatThrownBy(() -> client.reportOutcome("req-1", true, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("reason == null");
            assertThatThrownBy(() -> client.reportOutcome((ToolResult) null, true, ""))
                    .isInstanceOf(NullPointerException.class).hasMessage("result == null");
        }
    }

    /** The record at {@code metadata}'s partition and offset. */
    private static ConsumerRecord<String, byte[]> read(KafkaTestCluster cluster, RecordMetadata metadata) {
        TopicPartition partition = new TopicPartition(metadata.topic(), metadata.partition());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                cluster.settings().consumer(null, "client-it-" + UUID.randomUUID()))) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, metadata.offset());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() == metadata.offset()) {
                        return record;
                    }
                }
            }
        }
        throw new AssertionError("no record at " + partition + "@" + metadata.offset());
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
