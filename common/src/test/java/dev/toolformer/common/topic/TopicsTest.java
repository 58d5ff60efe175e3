package dev.toolformer.common.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import dev.toolformer.common.topic.Topic.CleanupPolicy;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TopicsTest {

    static Stream<Topic<?>> topics() {
        return Topics.ALL.stream();
    }

    @Test
    void shouldNameExactlyTheTopicsOfTheDesignTableInOrder() {
        assertThat(Topics.ALL).extracting(Topic::name).containsExactly(
                "toolformer.requests",
                "toolformer.results",
                "toolformer.speculation-outcomes",
                "toolformer.heartbeats",
                "toolformer.control",
                "toolformer.dlq",
                "toolformer.slo",
                "toolformer.burn-rates",
                "toolformer.cost",
                "toolformer.speculation",
                "toolformer.health",
                "toolformer.alerts",
                "toolformer.incidents",
                "toolformer.silences",
                "toolformer.incident-triggers");
    }

    @Test
    void shouldHaveUniqueNamesAllPrefixedWithToolformer() {
        assertThat(Topics.ALL).extracting(Topic::name)
                .doesNotHaveDuplicates()
                .allSatisfy(name -> assertThat(name).startsWith("toolformer."));
    }

    @Test
    void shouldCompactHealthAndSilencesAndDeleteEveryOtherTopic() {
        assertThat(Topics.HEALTH.cleanupPolicy()).isEqualTo(CleanupPolicy.COMPACT);
        assertThat(Topics.HEALTH.configs()).containsExactlyEntriesOf(Map.of("cleanup.policy", "compact"));
        assertThat(Topics.SILENCES.cleanupPolicy()).isEqualTo(CleanupPolicy.COMPACT);
        assertThat(Topics.ALL).filteredOn(t -> t != Topics.HEALTH && t != Topics.SILENCES)
                .extracting(Topic::cleanupPolicy)
                .containsOnly(CleanupPolicy.DELETE);
    }

    @Test
    void shouldCreateRequestsWithSevenDayRetention() {
        assertThat(Topics.REQUESTS.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(Topics.REQUESTS.configs()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cleanup.policy", "delete",
                "retention.ms", "604800000"));
    }

    @Test
    void shouldFindTopicByName() {
        assertThat(Topics.byName("toolformer.dlq")).containsSame(Topics.DLQ);
        assertThat(Topics.byName("toolformer.nope")).isEmpty();
        assertThat(Topics.REQUESTS).hasToString("toolformer.requests");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
    void shouldRoundTripEveryFieldThroughValueSerde(Topic<?> topic) throws IOException {
        roundTrip(topic);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
    void shouldUseStringKeys(Topic<?> topic) {
        byte[] key = topic.keySerde().serializer().serialize(topic.name(), "executor-1");

        assertThat(topic.keySerde().deserializer().deserialize(topic.name(), key)).isEqualTo("executor-1");
    }

    private static <V extends SpecificRecord> void roundTrip(Topic<V> topic) throws IOException {
        // Written generically from the schema alone, read as the generated class, written back.
        Schema schema = SpecificData.get().getSchema(topic.valueType());
        GenericRecord sample = SampleRecords.of(schema);
        byte[] written = bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(sample));

        V decoded = topic.valueSerde().deserializer().deserialize(topic.name(), written);
        byte[] rewritten = topic.valueSerde().serializer().serialize(topic.name(), decoded);

        assertThat(decoded).isInstanceOf(topic.valueType());
        assertThat(rewritten).isEqualTo(written);
        assertThat(topic.valueSerde().deserializer().deserialize(topic.name(), rewritten)).isEqualTo(decoded);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
