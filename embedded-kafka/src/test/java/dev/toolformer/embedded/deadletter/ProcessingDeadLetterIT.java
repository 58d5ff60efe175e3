package dev.toolformer.embedded.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Streams app of the pipeline runs with {@link dev.toolformer.common.kafka.KafkaSettings#streams}: a
 * record that decodes but makes a processor throw goes to the DLQ with the reason, and the app goes on
 * (exactly-once, on a real broker) rather than dying — and dying again on the same record at each restart.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ProcessingDeadLetterIT {

    @Test
    @Timeout(120)
    void shouldDeadLetterARecordThatMakesAProcessorThrowAndProcessTheNextOnes(KafkaTestCluster cluster,
                                                                             @TempDir Path state) throws Exception {
        String input = cluster.uniqueName("poison-in");
        String output = cluster.uniqueName("poison-out");
        String key = cluster.uniqueName("poison-key");
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            admin.createTopics(List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> {
                    if (v.equals("poison")) {
                        throw new IllegalStateException("a value no processor expected: " + v);
                    }
                    return v.toUpperCase(Locale.ROOT);
                }, Named.as("upper"))
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        List<String> letters = new CopyOnWriteArrayList<>();
        List<String> outputs = new CopyOnWriteArrayList<>();
        try (KafkaStreams streams = new KafkaStreams(builder.build(),
                cluster.settings().streams(cluster.uniqueName("poison-app"), state));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("poison-it"));
             KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(cluster.settings().consumer(null, "poison-it"))) {
            List<TopicPartition> partitions = new ArrayList<>(List.of(new TopicPartition(output, 0)));
            reader.partitionsFor(Topics.DLQ.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            reader.assign(partitions);
            reader.seekToEnd(partitions);
            partitions.forEach(reader::position);
            streams.start();
            for (String value : List.of("first", "poison", "last")) {
                producer.send(new ProducerRecord<>(input, key, value.getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }

            await().atMost(Duration.ofSeconds(90)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(output)) {
                        outputs.add(new String(r.value(), StandardCharsets.UTF_8));
                    } else {
                        DeadLetter letter = AvroSerde.of(DeadLetter.class).decode(r.value());
                        if (letter.getOriginalTopic().equals(input)) {
                            letters.add(letter.getReason() + " " + StandardCharsets.UTF_8.decode(
                                    letter.getOriginalValue()) + " " + letter.getDetail());
                        }
                    }
                }
                return outputs.contains("LAST") && !letters.isEmpty();
            });
            assertThat(outputs).containsExactly("FIRST", "LAST");
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0)).startsWith(DeadLetterReason.INTERNAL + " poison processor upper of task 0_0"
                    + " failed: java.lang.IllegalStateException: a value no processor expected: poison");
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }
}
