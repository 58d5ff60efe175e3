package dev.toolformer.common.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

class StreamsLivenessTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);

    @Test
    void shouldBeLiveWhileEveryStreamThreadPolls() {
        assertThat(StreamsLiveness.stalled(KafkaStreams.State.RUNNING, Map.ofEntries(
                lastPoll("app-1-StreamThread-1-consumer", 3), lastPoll("app-1-StreamThread-2-consumer", 0)), LIMIT))
                .isEmpty();
    }

    @Test
    void shouldReportAStreamThreadThatHasNotPolledForLongerThanTheLimit() {
        assertThat(StreamsLiveness.stalled(KafkaStreams.State.RUNNING, Map.ofEntries(
                lastPoll("app-1-StreamThread-1-consumer", 3), lastPoll("app-1-StreamThread-2-consumer", 301)), LIMIT))
                .hasValue("stream thread consumer app-1-StreamThread-2-consumer has not polled for 301 s"
                        + " (limit 120 s)");
    }

    @Test
    void shouldIgnoreRestoreConsumersAndOtherMetrics() {
        assertThat(StreamsLiveness.stalled(KafkaStreams.State.REBALANCING, Map.ofEntries(
                lastPoll("app-1-StreamThread-1-restore-consumer", 999),
                metric(new MetricName("last-poll-seconds-ago", "other-group", "", Map.of("client-id", "x-consumer")),
                        999)), LIMIT)).isEmpty();
    }

    @Test
    void shouldNotCallAStoppingOrFailedAppStalled() {
        Map<MetricName, Metric> stale = Map.ofEntries(lastPoll("app-1-StreamThread-1-consumer", 999));
        for (KafkaStreams.State state : new KafkaStreams.State[] {KafkaStreams.State.CREATED,
                KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.ERROR}) {
            assertThat(StreamsLiveness.stalled(state, stale, LIMIT)).as(state.name()).isEmpty();
        }
    }

    private static Map.Entry<MetricName, Metric> lastPoll(String clientId, double seconds) {
        return metric(new MetricName(StreamsLiveness.LAST_POLL, StreamsLiveness.GROUP, "", Map.of("client-id",
                clientId)), seconds);
    }

    private static Map.Entry<MetricName, Metric> metric(MetricName name, double value) {
        return Map.entry(name, new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }
}
