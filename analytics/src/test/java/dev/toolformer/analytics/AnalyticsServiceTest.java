package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import dev.toolformer.common.deadletter.DeadLetterExceptionHandler;
import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyticsServiceTest {
    @TempDir
    Path stateDir;

    @Test
    void shouldRunExactlyOnceAndDeadLetterUndecodableResults() {
        Properties props = AnalyticsService.streamsProperties(AnalyticsConfig.defaults(stateDir),
                KafkaSettings.of("localhost:9092"));

        assertThat(props)
                .containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "toolformer-analytics")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        DeadLetterExceptionHandler.class.getName());
    }

    @Test
    void shouldLetAnOperatorOverrideTheDeserializationExceptionHandler() {
        KafkaSettings kafka = new KafkaSettings("localhost:9092", Map.of(
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, "com.example.Handler"));

        Properties props = AnalyticsService.streamsProperties(AnalyticsConfig.defaults(stateDir), kafka);

        assertThat(props).containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                "com.example.Handler");
    }

    @Test
    void shouldNotBeRunningBeforeStartNorAfterClose() {
        AnalyticsService service = new AnalyticsService(AnalyticsConfig.defaults(stateDir),
                KafkaSettings.of("localhost:9092"));
        assertThat(service.isRunning()).isFalse();
        assertThat(service.state()).isEqualTo(KafkaStreams.State.CREATED);

        assertThat(service.close(Duration.ofSeconds(10))).isTrue();

        assertThat(service.isRunning()).isFalse();
        assertThat(service.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
    }
}
