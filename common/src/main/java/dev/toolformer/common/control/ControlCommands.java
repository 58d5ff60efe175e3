package dev.toolformer.common.control;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The one place {@code toolformer.control} commands are made: a fresh command id (executors key their undo
 * timers and replays by it), the target every executor follows, and the record keyed by target.
 */
public final class ControlCommands {
    /** The target that addresses every executor. */
    public static final String EVERY_EXECUTOR = "*";

    private ControlCommands() {
    }

    /** A command for every executor, with a fresh id, issued at {@code issuedAt} by {@code issuedBy}. */
    public static ControlCommand.Builder toEveryExecutor(ControlAction action, String issuedBy, Instant issuedAt) {
        return ControlCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setTarget(EVERY_EXECUTOR)
                .setAction(Objects.requireNonNull(action, "action == null"))
                .setIssuedAt(Objects.requireNonNull(issuedAt, "issuedAt == null"))
                .setIssuedBy(Objects.requireNonNull(issuedBy, "issuedBy == null"));
    }

    /** A command for the executor {@code executorId} only, with a fresh id. */
    public static ControlCommand.Builder toExecutor(String executorId, ControlAction action, String issuedBy,
                                                    Instant issuedAt) {
        return toEveryExecutor(action, issuedBy, issuedAt)
                .setTarget(Objects.requireNonNull(executorId, "executorId == null"));
    }

    /** The record that publishes {@code command} on {@code toolformer.control}, keyed by its target. */
    public static ProducerRecord<String, byte[]> record(ControlCommand command) {
        return new ProducerRecord<>(Topics.CONTROL.name(), command.getTarget(),
                Topics.CONTROL.valueSerde().serializer().serialize(Topics.CONTROL.name(), command));
    }
}
