package dev.toolformer.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.kafkaclients.v2_6.KafkaTelemetry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TracingConsumerInterceptorTest {
    private static final TopicPartition RESULTS = new TopicPartition("toolformer.results", 3);

    @Test
    void shouldKeepTheBatchsNextOffsetsWhichKafkaStreamsCommits() {
        TracingConsumerInterceptor<String, String> interceptor = new TracingConsumerInterceptor<>();
        Map<String, Object> config = new HashMap<>(KafkaTelemetry.create(OpenTelemetry.noop())
                .consumerInterceptorConfigProperties());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "analytics");
        interceptor.configure(config);
        ConsumerRecord<String, String> record =
                new ConsumerRecord<>(RESULTS.topic(), RESULTS.partition(), 41, "k", "v");
        // Offset 42 is a transaction marker: the position after the batch is 43, not the last record's 42.
        OffsetAndMetadata next = new OffsetAndMetadata(43, Optional.of(7), "");
        ConsumerRecords<String, String> polled = new ConsumerRecords<>(Map.of(RESULTS, List.of(record)),
                Map.of(RESULTS, next));

        ConsumerRecords<String, String> traced = interceptor.onConsume(polled);

        assertThat(traced.nextOffsets()).isEqualTo(Map.of(RESULTS, next));
        assertThat(traced.records(RESULTS)).containsExactly(record);
    }
}
