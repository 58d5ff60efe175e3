package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;

import dev.toolformer.alerts.rules.AlertRules;
import org.junit.jupiter.api.Test;

class AlertConfigTest {

    @Test
    void shouldUseDefaultApplicationId() {
        assertThat(AlertConfig.of(AlertRules.defaults(), Path.of("state")).applicationId())
                .isEqualTo("toolformer-alert-processor");
    }

    @Test
    void shouldRejectApplicationIdKafkaCannotUse() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertConfig("alert processor", AlertRules.defaults(), Path.of("state")))
                .withMessage("alerts.application-id must be one or more of [a-zA-Z0-9._-], was \"alert processor\"");
    }
}
