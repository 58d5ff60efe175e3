package dev.toolformer.common.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class ControlCommandsTest {

    @Test
    void shouldAddressEveryExecutorWithAFreshIdAndPublishKeyedByTarget() {
        Instant at = Instant.parse("2026-12-03T12:00:00Z");
        ControlCommand first = ControlCommands.toEveryExecutor(ControlAction.THROTTLE, "test", at).setRatePerS(2.0).build();
        ControlCommand second = ControlCommands.toEveryExecutor(ControlAction.THROTTLE, "test", at).build();

        ProducerRecord<String, byte[]> record = ControlCommands.record(first);

        assertThat(first.getCommandId()).isNotEqualTo(second.getCommandId());
        assertThat(first.getTarget()).isEqualTo("*");
        assertThat(first.getIssuedAt()).isEqualTo(at);
        assertThat(record.topic()).isEqualTo(Topics.CONTROL.name());
        assertThat(record.key()).isEqualTo("*");
        assertThat(AvroSerde.of(ControlCommand.class).decode(record.value())).isEqualTo(first);
    }
}
