package dev.toolformer.common.service;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether a Kafka Streams app's threads still make progress: each stream thread's main consumer reports
 * {@code last-poll-seconds-ago}; a thread that has not polled for longer than the limit while the app runs is
 * stuck (a processor blocked, a deadlock), and only a restart helps. Restore consumers and a stopped or failed
 * app do not count: closing is not stalling, and a failure is reported by the service's {@code failure()}.
 */
public final class StreamsLiveness {
    static final String GROUP = "consumer-metrics";
    static final String LAST_POLL = "last-poll-seconds-ago";

    private StreamsLiveness() {
    }

    /** Why {@code streams} is stuck, if a stream thread has not polled for longer than {@code limit}. */
    public static Optional<String> stalled(KafkaStreams streams, Duration limit) {
        if (streams == null) {
            return Optional.empty();
        }
        return stalled(streams.state(), streams.metrics(), limit);
    }

    static Optional<String> stalled(KafkaStreams.State state, Map<MetricName, ? extends Metric> metrics,
                                    Duration limit) {
        if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return Optional.empty();
        }
        for (Map.Entry<MetricName, ? extends Metric> m : metrics.entrySet()) {
            MetricName name = m.getKey();
            String client = name.tags().getOrDefault("client-id", "");
            if (!GROUP.equals(name.group()) || !LAST_POLL.equals(name.name()) || !client.endsWith("-consumer")
                    || client.endsWith("-restore-consumer")) {
                continue;
            }
            Object value = m.getValue().metricValue();
            if (value instanceof Number seconds && seconds.doubleValue() > limit.toSeconds()) {
                return Optional.of("stream thread consumer " + client + " has not polled for "
                        + Math.round(seconds.doubleValue()) + " s (limit " + limit.toSeconds() + " s)");
            }
        }
        return Optional.empty();
    }
}
