package dev.toolformer.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.TopicFollower;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationWindow;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads the alert, incident, SLO and speculation topics from the moment it is created, for the demo summary. Of
 * the speculation windows, which are re-emitted as they fill, it keeps the latest record per key.
 */
final class AggregateWatcher implements AutoCloseable {
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);
    private static final AvroSerde<SloWindow> SLO = AvroSerde.of(SloWindow.class);
    private static final AvroSerde<IncidentAction> INCIDENTS = AvroSerde.of(IncidentAction.class);
    private static final AvroSerde<SpeculationWindow> SPECULATION = AvroSerde.of(SpeculationWindow.class);

    private final TopicFollower follower;
    private final List<AlertEvent> alerts = new ArrayList<>();
    private final List<SloWindow> sloWindows = new ArrayList<>();
    private final List<IncidentAction> incidents = new ArrayList<>();
    private final Map<String, SpeculationWindow> speculation = new LinkedHashMap<>();

    /** Follows the aggregate topics from their current end: what the demo produces from now on. */
    AggregateWatcher(KafkaSettings kafka) throws InterruptedException {
        follower = TopicFollower.of(kafka, List.of(Topics.ALERTS.name(), Topics.SLO.name(), Topics.INCIDENTS.name(),
                Topics.SPECULATION.name()), "demo-aggregates").fromEnd();
        follower.start(this::accept);
        if (!follower.awaitPositioned(Duration.ofSeconds(30))) {
            follower.close();
            throw new IllegalStateException("cannot follow the aggregate topics: not positioned within 30 s");
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.topic().equals(Topics.ALERTS.name())) {
                AlertEvent event = ALERTS.decode(record.value());
                synchronized (this) {
                    alerts.add(event);
                }
            } else if (record.topic().equals(Topics.INCIDENTS.name())) {
                IncidentAction action = INCIDENTS.decode(record.value());
                synchronized (this) {
                    incidents.add(action);
                }
            } else if (record.topic().equals(Topics.SPECULATION.name())) {
                SpeculationWindow window = SPECULATION.decode(record.value());
                synchronized (this) {
                    speculation.put(record.key(), window);
                }
            } else {
                SloWindow window = SLO.decode(record.value());
                synchronized (this) {
                    sloWindows.add(window);
                }
            }
        } catch (DecodeException e) {
            // The dead-letter topic is the services' job; the summary just skips what it cannot read.
        }
    }

    synchronized List<AlertEvent> alerts() {
        return List.copyOf(alerts);
    }

    synchronized List<IncidentAction> incidents() {
        return List.copyOf(incidents);
    }

    synchronized List<SloWindow> sloWindows() {
        return List.copyOf(sloWindows);
    }

    /** The latest record of each speculation window read so far, final or not. */
    synchronized List<SpeculationWindow> speculationWindows() {
        return List.copyOf(speculation.values());
    }

    @Override
    public void close() {
        follower.close();
    }
}
