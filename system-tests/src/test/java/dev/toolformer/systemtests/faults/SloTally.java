package dev.toolformer.systemtests.faults;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.schema.SloWindow;

/**
 * What analytics has counted for one tool and provider: the latest update of each one-minute SLO window
 * (read_committed, so aborted transactions are invisible), summed. With exactly-once aggregates the sum
 * equals the number of distinct requests answered — no double counting, no gap.
 */
final class SloTally implements AutoCloseable {
    private final String tool;
    private final String provider;
    private final Map<Long, SloWindow> latest = new ConcurrentHashMap<>();
    private final TopicTail tail;

    SloTally(KafkaSettings kafka, String tool, String provider) {
        this.tool = tool;
        this.provider = provider;
        AvroSerde<SloWindow> serde = AvroSerde.of(SloWindow.class);
        tail = new TopicTail(kafka, List.of(Topics.SLO), record -> {
            SloWindow w = serde.decode(record.value());
            if (w.getTool().toString().equals(this.tool) && w.getProvider().toString().equals(this.provider)) {
                latest.put(w.getWindowStart().toEpochMilli(), w);
            }
        });
    }

    /** Requests counted over every window seen so far. */
    long requests() {
        return latest.values().stream().mapToLong(SloWindow::getRequests).sum();
    }

    /** Successful requests counted over every window seen so far. */
    long successes() {
        return latest.values().stream().mapToLong(SloWindow::getSuccess).sum();
    }

    @Override
    public void close() throws InterruptedException {
        tail.close();
    }
}
