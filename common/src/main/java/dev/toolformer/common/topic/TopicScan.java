package dev.toolformer.common.topic;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * The bounded read of a topic: every partition assigned (no consumer group, nothing committed), from the first
 * record at or after a time (or the beginning) up to the end offsets taken when the scan starts, then done.
 * What the CLI, the admin API, the reports and the alert processor's recovery use to read "what is there now".
 *
 * <pre>{@code
 * TopicScan.of(kafka, Topics.ALERTS.name()).since(from).within(Duration.ofSeconds(30)).forEach(record -> ...);
 * }</pre>
 *
 * <p>Records are handed over partition by partition in offset order (no order across partitions). Records whose
 * timestamp is before {@code since} are skipped, and so are records written after the scan started.
 */
public final class TopicScan {
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaSettings kafka;
    private final String topic;
    private Instant since = Instant.EPOCH;
    private Duration timeout = Duration.ofSeconds(30);
    private boolean mustExist;

    private TopicScan(KafkaSettings kafka, String topic) {
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.topic = Objects.requireNonNull(topic, "topic == null");
    }

    /** A scan of the whole of {@code topic}, within 30 s; a missing topic reads as empty. */
    public static TopicScan of(KafkaSettings kafka, String topic) {
        return new TopicScan(kafka, topic);
    }

    /** Starts at the first record whose timestamp is at or after {@code from} ({@link Instant#EPOCH}: the beginning). */
    public TopicScan since(Instant from) {
        this.since = Objects.requireNonNull(from, "from == null");
        return this;
    }

    /** Fails with a {@link TimeoutException} when the end is not reached within {@code limit}. */
    public TopicScan within(Duration limit) {
        if (!limit.isPositive()) {
            throw new IllegalArgumentException("limit is " + limit + ": expected > 0");
        }
        this.timeout = limit;
        return this;
    }

    /** Fails with an {@link IllegalStateException} naming the topic and the cluster when the topic does not exist. */
    public TopicScan mustExist() {
        this.mustExist = true;
        return this;
    }

    /** Every record of the scan, partition by partition in offset order. */
    public List<ConsumerRecord<String, byte[]>> records() {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        forEach(records::add);
        return records;
    }

    /**
     * Hands every record of the scan to {@code sink}, partition by partition in offset order.
     *
     * @throws TimeoutException if the end is not reached in time
     */
    public void forEach(Consumer<ConsumerRecord<String, byte[]>> sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = kafka.consumer(null, "toolformer-scan-" + topic + "-" + UUID.randomUUID());
        config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                if (mustExist) {
                    throw new IllegalStateException("topic " + topic + " does not exist on " + kafka.bootstrapServers());
                }
                return;
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            seek(consumer, partitions, ends);
            long from = since.equals(Instant.EPOCH) ? Long.MIN_VALUE : since.toEpochMilli();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading " + topic + " since " + since + " took longer than " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition())) && r.timestamp() >= from) {
                        sink.accept(r);
                    }
                }
            }
        }
    }

    private void seek(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions,
                      Map<TopicPartition, Long> ends) {
        if (since.equals(Instant.EPOCH)) {
            consumer.seekToBeginning(partitions);
            return;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, timeout);
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp start = starts.get(p);
            consumer.seek(p, start == null ? ends.get(p) : start.offset());
        }
    }
}
