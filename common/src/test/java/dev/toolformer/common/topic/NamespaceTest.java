package dev.toolformer.common.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NamespaceTest {
    private final String before = Namespace.prefix();

    @AfterEach
    void restore() {
        Namespace.use(before);
    }

    @Test
    void shouldNameTopicsGroupsAndApplicationsInTheNamespace() {
        Namespace.use("staging.");

        assertThat(Topics.REQUESTS.name()).isEqualTo("staging.toolformer.requests");
        assertThat(Topics.REQUESTS.baseName()).isEqualTo("toolformer.requests");
        assertThat(Topics.byName("staging.toolformer.dlq")).containsSame(Topics.DLQ);
        KafkaSettings kafka = KafkaSettings.of("localhost:9092");
        assertThat(kafka.consumer("toolformer-executor", "e1"))
                .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "staging.toolformer-executor");
        assertThat(kafka.streams("toolformer-analytics", Path.of("state")))
                .containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "staging.toolformer-analytics");
    }

    @Test
    void shouldLeaveNamesAsTheyAreInTheDefaultNamespace() {
        Namespace.use("");

        assertThat(Topics.RESULTS.name()).isEqualTo("toolformer.results");
        assertThat(KafkaSettings.of("localhost:9092").consumer("g", "c"))
                .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "g");
    }

    @Test
    void shouldRefuseAPrefixThatNoTopicNameCouldCarryNamingTheVariable() {
        assertThatIllegalArgumentException().isThrownBy(() -> Namespace.use("team a/"))
                .withMessage("TOOLFORMER_NAMESPACE=\"team a/\" is not a valid namespace: expected at most 100 of the"
                        + " characters a Kafka topic name allows (letters, digits, '.', '_', '-')");
        assertThat(Namespace.prefix()).isEqualTo(before);
    }
}
