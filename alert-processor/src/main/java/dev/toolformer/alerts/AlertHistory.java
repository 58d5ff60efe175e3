package dev.toolformer.alerts;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.TopicScan;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;

/** Reads toolformer.alerts for people and tools: the latest transition of every alert. */
public final class AlertHistory {
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);

    private AlertHistory() {
    }

    /** The latest event of every fingerprint on toolformer.alerts (resolved ones included), by fingerprint. */
    public static Map<String, AlertEvent> latest(KafkaSettings kafka) {
        Map<String, AlertEvent> latest = new LinkedHashMap<>();
        TopicScan.of(kafka, Topics.ALERTS.name()).forEach(record -> {
            try {
                AlertEvent event = ALERTS.decode(record.value());
                latest.put(event.getFingerprint(), event);
            } catch (DecodeException e) {
                // Not an alert a person can act on; the dead-letter tooling reports bad records.
            }
        });
        return latest;
    }
}
