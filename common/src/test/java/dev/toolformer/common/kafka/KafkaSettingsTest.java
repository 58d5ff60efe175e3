package dev.toolformer.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import dev.toolformer.common.deadletter.ProcessingDeadLetterHandler;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"svc\" password=\"pa55-word\";";

    @Test
    void shouldMaskSecretsInItsTextAndKeepTheOtherSettings() {
        KafkaSettings kafka = new KafkaSettings("broker:9093", Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.password", "changeit"));

        assertThat(kafka.toString()).isEqualTo("KafkaSettings[bootstrapServers=broker:9093, overrides={"
                + "sasl.jaas.config=[REDACTED], sasl.mechanism=SCRAM-SHA-512, security.protocol=SASL_SSL,"
                + " ssl.truststore.password=[REDACTED]}]");
    }

    @Test
    void shouldDeadLetterWhatMakesAProcessorThrowInGlobalStoresToo() {
        StreamsConfig config = new StreamsConfig(KafkaSettings.of("broker:9092").streams("app", Path.of("state")));

        assertThat(config.getClass(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(ProcessingDeadLetterHandler.class);
        assertThat(config.getBoolean(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG)).isTrue();
    }

    @Test
    void shouldPassSecurityOverridesToEveryClientUnchanged() {
        KafkaSettings kafka = new KafkaSettings("broker:9093", Map.of("security.protocol", "SASL_SSL", "sasl.jaas.config", JAAS));

        for (Map<String, Object> client : new Map[] {kafka.admin(), kafka.producer("p"), kafka.consumer("g", "c")}) {
            assertThat(client).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", JAAS);
        }
        assertThat(kafka.streams("app", Path.of("state")))
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", JAAS);
    }
}
