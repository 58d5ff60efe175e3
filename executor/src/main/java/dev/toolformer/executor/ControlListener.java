package dev.toolformer.executor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.SpeculationOutcome;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code toolformer.control} and {@code toolformer.speculation-outcomes}, every partition, without a
 * consumer group: every executor instance sees every command. At start it first recovers the commands
 * in force: it reads the control topic from {@code control-replay} ago (default: the topic's retention,
 * one day) up to its end at that moment and replays them in order ({@link ControlHandler#replay}), so an
 * executor that starts while an alert fires (a scale-out, a rollout, the one {@code scale_up} started)
 * has its breakers open and its throttles on like the others; only then is it ready. Speculation
 * outcomes are followed from their end. Supervised: an error a retry can fix (a timeout, a broker
 * away) is logged and retried with backoff, whether at start or while following; an authentication or
 * authorization error ends it and goes to {@code onRefused}. Owns its consumer.
 */
final class ControlListener implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlListener.class);
    private static final AvroSerde<ControlCommand> COMMANDS = AvroSerde.of(ControlCommand.class);
    private static final AvroSerde<SpeculationOutcome> OUTCOMES = AvroSerde.of(SpeculationOutcome.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Consumer<String, byte[]> consumer;
    private final ControlHandler handler;
    private final Duration replay;
    private final java.util.function.Consumer<KafkaException> onRefused; // name clash: Kafka's Consumer
    private volatile boolean running = true;
    private volatile boolean ready;
    /** Control records before these offsets were published before this instance followed the topic. */
    private Map<TopicPartition, Long> replayUntil = Map.of();

    /**
     * @param replay    how far back commands may still be in force
     * @param onRefused hears of an authentication or authorization error, which ends the listener
     */
    ControlListener(Consumer<String, byte[]> consumer, ControlHandler handler, Duration replay,
                    java.util.function.Consumer<KafkaException> onRefused) { // name clash: Kafka's Consumer
        this.consumer = consumer;
        this.handler = handler;
        this.replay = replay;
        this.onRefused = onRefused;
    }

    /** True once the commands in force are recovered and the topics followed from there. */
    boolean ready() {
        return ready && running;
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    /** Closes the consumer of a loop that never ran. */
    void closeUnstarted() {
        consumer.close();
    }

    @Override
    public void run() {
        Duration backoff = FIRST_BACKOFF;
        try {
            while (running) {
                try {
                    if (!ready && !position()) {
                        Thread.sleep(2_000);
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        handle(record);
                    }
                    if (!ready && recovered()) {
                        ready = true;
                        log.info("Control listener recovered the commands in force and follows {} and {}",
                                Topics.CONTROL.name(), Topics.SPECULATION_OUTCOMES.name());
                    }
                    backoff = FIRST_BACKOFF;
                } catch (WakeupException e) {
                    // stop(): the loop condition ends it
                } catch (KafkaException e) {
                    if (KafkaAccessException.isAccessError(e)) {
                        log.error("Control listener stopped: {}", e.toString(), e);
                        onRefused.accept(e);
                        return;
                    }
                    // Not following from a known position any more only if it never got there: positions are kept.
                    log.warn("Control listener: {}; retrying in {} ms", e.toString(), backoff.toMillis());
                    Thread.sleep(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ready = false;
            consumer.close();
        }
    }

    /**
     * Assigns every partition, the control partitions at {@code replay} ago (their ends noted: what comes
     * before is replayed), the outcome partitions at their ends. False while either topic is missing.
     */
    private boolean position() {
        List<TopicPartition> control = partitions(Topics.CONTROL.name());
        List<TopicPartition> outcomes = partitions(Topics.SPECULATION_OUTCOMES.name());
        if (control.isEmpty() || outcomes.isEmpty()) {
            log.warn("Topics {} and {} not found yet; control commands are not followed until they exist",
                    Topics.CONTROL.name(), Topics.SPECULATION_OUTCOMES.name());
            return false;
        }
        List<TopicPartition> all = new ArrayList<>(control);
        all.addAll(outcomes);
        consumer.assign(all);
        consumer.seekToEnd(outcomes);
        Map<TopicPartition, Long> ends = consumer.endOffsets(control);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - replay.toMillis();
        control.forEach(p -> since.put(p, from));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(since);
        for (TopicPartition partition : control) {
            OffsetAndTimestamp start = starts.get(partition);
            consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
        }
        // Resolve every position now, so that "ready" means commands published after it are seen.
        all.forEach(consumer::position);
        replayUntil = ends;
        return true;
    }

    /** True once every control partition is read up to where it ended when this instance started. */
    private boolean recovered() {
        for (Map.Entry<TopicPartition, Long> end : replayUntil.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    private List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic);
        if (infos == null) {
            return List.of();
        }
        return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.topic().equals(Topics.CONTROL.name())) {
                ControlCommand command = COMMANDS.decode(record.value());
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < replayUntil.getOrDefault(partition, 0L)) {
                    handler.replay(command);
                } else {
                    handler.apply(command);
                }
            } else {
                handler.apply(OUTCOMES.decode(record.value()));
            }
        } catch (DecodeException e) {
            log.warn("Skipping undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Control record {}-{}@{} could not be applied: {}", record.topic(), record.partition(),
                    record.offset(), e.toString());
        }
    }
}
