package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertMeters;
import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.TopicView;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.IncidentAction;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incident responder's poll loop with mock clients: what it survives and what it reports. */
class IncidentResponderTest {
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);
    private static final TopicPartition ALERTS_0 = new TopicPartition(Topics.ALERTS.name(), 0);
    /** No broker listens there: the history read at start fails fast and the responder starts without it. */
    private static final KafkaSettings NOWHERE = new KafkaSettings("127.0.0.1:1", Map.of(
            "default.api.timeout.ms", "300", "request.timeout.ms", "200"));

    @Test
    void shouldGoOnRespondingToAlertsAfterACommitFails(@TempDir Path dir) {
        AtomicInteger commits = new AtomicInteger();
        MockConsumer<String, byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST) {
            @Override
            public synchronized void commitSync() {
                if (commits.incrementAndGet() == 1) {
                    throw new CommitFailedException("the group rebalanced (test)");
                }
                super.commitSync();
            }
        };
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        try (IncidentResponder responder = responder(dir, consumer, producer)) {
            consumer.schedulePollTask(() -> {
                consumer.rebalance(List.of(ALERTS_0));
                consumer.updateBeginningOffsets(Map.of(ALERTS_0, 0L));
                consumer.addRecord(alert(0, "first"));
            });
            responder.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> commits.get() >= 1 && actedOn(producer, "first"));

            consumer.schedulePollTask(() -> consumer.addRecord(alert(1, "second")));

            await().atMost(Duration.ofSeconds(30)).until(() -> actedOn(producer, "second"));
            assertThat(responder.isRunning()).isTrue();
            assertThat(responder.failure()).isEmpty();
        }
    }

    @Test
    void shouldGoOnAfterAPollTimesOutAndReportAnUnexpectedErrorThroughItsFailure(@TempDir Path dir) {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        try (IncidentResponder responder = responder(dir, consumer, producer)) {
            consumer.schedulePollTask(() -> {
                consumer.rebalance(List.of(ALERTS_0));
                consumer.updateBeginningOffsets(Map.of(ALERTS_0, 0L));
                consumer.setPollException(new TimeoutException("broker away (test)"));
            });
            consumer.schedulePollTask(() -> consumer.addRecord(alert(0, "after-timeout")));
            responder.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> actedOn(producer, "after-timeout"));
            assertThat(responder.isRunning()).isTrue();

            consumer.schedulePollTask(() -> {
                throw new IllegalStateException("a bug (test)");
            });

            await().atMost(Duration.ofSeconds(30)).until(() -> responder.failure().isPresent());
            assertThat(responder.failure().orElseThrow()).hasMessage("incident responder of responder-test stopped:"
                    + " java.lang.IllegalStateException: a bug (test)");
            assertThat(responder.isRunning()).isFalse();
        }
    }

    @Test
    void shouldReportALoopThatHangsAsStalledAndRecoverWhenItMovesAgain(@TempDir Path dir) {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        CountDownLatch release = new CountDownLatch(1);
        try (IncidentResponder responder = responder(dir, consumer, producer)) {
            consumer.schedulePollTask(() -> {
                consumer.rebalance(List.of(ALERTS_0));
                consumer.updateBeginningOffsets(Map.of(ALERTS_0, 0L));
            });
            responder.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.assignment().contains(ALERTS_0));
            assertThat(responder.stalled(Duration.ofSeconds(2))).isEmpty();

            consumer.schedulePollTask(() -> {
                try {
                    release.await(); // a poll that does not return
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });

            try {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> responder.stalled(Duration.ofSeconds(2)).isPresent());
                assertThat(responder.stalled(Duration.ofSeconds(2)).orElseThrow())
                        .startsWith("the incident responder of responder-test has made no progress for ")
                        .endsWith(" s (limit 2 s)");
            } finally {
                release.countDown(); // before close: a poll that never returns would hold it up
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> responder.stalled(Duration.ofSeconds(2)).isEmpty());
        }
    }

    private static IncidentResponder responder(Path dir, MockConsumer<String, byte[]> consumer,
                                               MockProducer<String, byte[]> producer) {
        AlertConfig config = new AlertConfig("responder-test", AlertRules.defaults(), dir);
        return new IncidentResponder(config, NOWHERE, FleetActions.recommendationsOnly(), Clock.systemUTC(),
                AlertMeters.none(), consumer,
                producer, new TopicView<>(emptyTopic(Silences.TOPIC.name()), Silences.TOPIC.name(),
                Silences.SERDE::decode, (k, v) -> true), new TopicView<>(emptyTopic(Topics.ALERTS.name()),
                Topics.ALERTS.name(), ALERTS::decode, (k, v) -> v.getState() == AlertState.FIRING),
                Duration.ofMillis(300));
    }

    private static MockConsumer<String, byte[]> emptyTopic(String topic) {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
        consumer.updateEndOffsets(Map.of(partition, 0L));
        return consumer;
    }

    private static ConsumerRecord<String, byte[]> alert(long offset, String provider) {
        Instant now = Instant.now();
        AlertEvent alert = Records.alert("HighErrorRate", Map.of("tool", "echo", "provider", provider),
                AlertState.FIRING, now, now);
        byte[] value = ALERTS.encode(alert);
        return new ConsumerRecord<>(ALERTS_0.topic(), 0, offset, now.toEpochMilli(), TimestampType.CREATE_TIME,
                alert.getFingerprint().length(), value.length, alert.getFingerprint(), value, new RecordHeaders(),
                Optional.empty());
    }

    /** Whether the responder recorded an incident action for the alert of {@code provider}. */
    private static boolean actedOn(MockProducer<String, byte[]> producer, String provider) {
        AvroSerde<IncidentAction> incidents = AvroSerde.of(IncidentAction.class);
        for (ProducerRecord<String, byte[]> record : producer.history()) {
            if (record.topic().equals(Topics.INCIDENTS.name())
                    && provider.equals(incidents.decode(record.value()).getParameters().get("provider"))) {
                return true;
            }
        }
        return false;
    }
}
