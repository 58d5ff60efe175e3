package dev.toolformer.executor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.SpeculationOutcome;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code toolformer.control} and {@code toolformer.speculation-outcomes} from their ends, every
 * partition, without a consumer group: every executor instance sees every command. Owns its consumer.
 */
final class ControlListener implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlListener.class);
    private static final AvroSerde<ControlCommand> COMMANDS = AvroSerde.of(ControlCommand.class);
    private static final AvroSerde<SpeculationOutcome> OUTCOMES = AvroSerde.of(SpeculationOutcome.class);

    private final Consumer<String, byte[]> consumer;
    private final ControlHandler handler;
    private final java.util.function.Consumer<KafkaException> onRefused;
    private volatile boolean running = true;
    private volatile boolean ready;

    /** {@code onRefused} hears of an authentication or authorization error, which ends the listener. */
    ControlListener(Consumer<String, byte[]> consumer, ControlHandler handler,
                    java.util.function.Consumer<KafkaException> onRefused) {
        this.consumer = consumer;
        this.handler = handler;
        this.onRefused = onRefused;
    }

    /** True once positioned at the ends: commands published from now on are seen. */
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
        try {
            List<TopicPartition> partitions = partitions();
            while (partitions.isEmpty() && running) {
                log.warn("Topics {} and {} not found yet; control commands are not followed until they exist",
                        Topics.CONTROL.name(), Topics.SPECULATION_OUTCOMES.name());
                Thread.sleep(2_000);
                partitions = partitions();
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            // Resolve the end offsets now, so that "ready" means commands published after it are seen.
            partitions.forEach(consumer::position);
            ready = true;
            while (running) {
                consumer.poll(Duration.ofMillis(200)).forEach(this::handle);
            }
        } catch (WakeupException e) {
            // stop()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (KafkaException e) {
            log.error("Control listener stopped on a Kafka error: {}", e.toString(), e);
            if (KafkaAccessException.isAccessError(e)) {
                onRefused.accept(e);
            }
        } finally {
            ready = false;
            consumer.close();
        }
    }

    /** Every partition of both topics, or none while either topic is missing. */
    private List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.CONTROL.name(), Topics.SPECULATION_OUTCOMES.name())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos == null || infos.isEmpty()) {
                return List.of();
            }
            infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        return partitions;
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.topic().equals(Topics.CONTROL.name())) {
                handler.apply(COMMANDS.decode(record.value()));
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
