package dev.toolformer.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The load generator's synthetic agent reports an outcome for each of its speculative calls once the result is in. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LoadGeneratorIT {
    private static final LoadProfile SPECULATIVE_ECHO = new LoadProfile(1.0, 0.5, 0, 0, 0, 30_000, 7);

    @Test
    void shouldUseEverySuccessfulSpeculativeResultAtHitRateOneAndDiscardTheFailedOnes(KafkaTestCluster cluster) {
        Run run = run(cluster, SPECULATIVE_ECHO.withSpeculationHitRate(1.0));

        run.outcomes.forEach((id, outcome) -> {
            boolean failed = run.failed.contains(id);
            assertThat(outcome.getUsed()).as(id).isEqualTo(!failed);
            assertThat(outcome.getReason()).as(id).isEqualTo(failed ? "speculative call ended ERROR"
                    : LoadGenerator.USED);
        });
        assertThat(run.failed).isNotEmpty();
        assertThat(run.generator.hitsReported()).isEqualTo(run.speculative.size() - run.failed.size());
        assertThat(run.generator.missesReported()).isEqualTo(run.failed.size());
    }

    @Test
    void shouldDiscardEverySpeculativeResultAtHitRateZero(KafkaTestCluster cluster) {
        Run run = run(cluster, SPECULATIVE_ECHO.withSpeculationHitRate(0));

        run.outcomes.forEach((id, outcome) -> {
            assertThat(outcome.getUsed()).as(id).isFalse();
            assertThat(outcome.getReason()).as(id).isEqualTo(run.failed.contains(id) ? "speculative call ended ERROR"
                    : LoadGenerator.NOT_NEEDED);
        });
        assertThat(run.generator.hitsReported()).isZero();
        assertThat(run.generator.missesReported()).isEqualTo(run.speculative.size());
    }

    /** What a run produced: the outcome of each speculative request, which ones failed. */
    private record Run(LoadGenerator generator, List<String> speculative, List<String> failed,
                       Map<String, SpeculationOutcome> outcomes) {
    }

    /**
     * A second of load at 100 requests/s; the test plays the executor, answering every request, each third
     * speculative one with an ERROR. Returns once every speculative request has exactly one outcome on the topic.
     */
    private static Run run(KafkaTestCluster cluster, LoadProfile profile) {
        KafkaSettings kafka = cluster.settings();
        List<ToolRequest> sent = new CopyOnWriteArrayList<>();
        List<String> speculative = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        Map<String, SpeculationOutcome> outcomes = new HashMap<>();
        try (ToolformerClient client = new ToolformerClient(kafka);
             KafkaProducer<String, byte[]> executor = new KafkaProducer<>(kafka.producer("load-generator-it"));
             KafkaConsumer<String, byte[]> outcomeReader = new KafkaConsumer<>(
                     kafka.consumer(null, "load-generator-it-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = outcomeReader.partitionsFor(Topics.SPECULATION_OUTCOMES.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            outcomeReader.assign(partitions);
            outcomeReader.seekToEnd(partitions);
            partitions.forEach(outcomeReader::position);

            LoadGenerator generator = new LoadGenerator(client, profile);
            generator.run(100, Duration.ofSeconds(1), sent::add);
            for (ToolRequest request : sent) {
                boolean fails = request.getSpeculative() && speculative.size() % 3 == 0;
                if (request.getSpeculative()) {
                    speculative.add(request.getRequestId());
                }
                if (fails) {
                    failed.add(request.getRequestId());
                }
                Instant now = Instant.now();
                ToolResult result = ToolResult.newBuilder().setRequestId(request.getRequestId())
                        .setCorrelationId(request.getCorrelationId()).setTool(request.getTool())
                        .setStatus(fails ? ToolStatus.ERROR : ToolStatus.SUCCESS).setAttempts(1)
                        .setSpeculative(request.getSpeculative()).setSubmittedAt(request.getSubmittedAt())
                        .setStartedAt(now).setFinishedAt(now).build();
                executor.send(new ProducerRecord<>(Topics.RESULTS.name(), request.getRequestId(),
                        AvroSerde.of(ToolResult.class).encode(result)));
            }
            executor.flush();
            assertThat(speculative).hasSizeGreaterThan(10).hasSizeLessThan(sent.size());

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (ConsumerRecord<String, byte[]> record : outcomeReader.poll(Duration.ofMillis(200))) {
                    SpeculationOutcome outcome = AvroSerde.of(SpeculationOutcome.class).decode(record.value());
                    assertThat(record.key()).isEqualTo(outcome.getRequestId());
                    assertThat(outcomes.put(record.key(), outcome)).as("second outcome of %s", record.key()).isNull();
                }
                assertThat(outcomes.keySet()).containsExactlyInAnyOrderElementsOf(speculative);
            });
            client.flush(); // the acknowledgements of the outcomes, which the counters count, are in
            assertThat(generator.outcomesFailedToSend()).isZero();
            return new Run(generator, speculative, failed, outcomes);
        }
    }
}
