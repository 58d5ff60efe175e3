package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.toolformer.alerts.rules.AlertRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void shouldSetTheAlertProcessorsKeysFromAPropertiesFile() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                rules:
                  - name: OnlyOne
                    expr: {field: error_rate, op: ">", threshold: 0.2}
                    severity: warning
                """);
        Path file = Files.writeString(dir.resolve("alerts.properties"), """
                alerts.application-id=team-a-alerts
                alerts.rules=%s
                alerts.punctuate-interval=5s
                alerts.max-event-age=1h
                alerts.kubernetes.executor-deployment=toolformer-executor
                alerts.kubernetes.max-executors=6
                """.formatted(rules));

        AlertConfigFile settings = AlertConfigFile.load(file, AlertConfig.of(AlertRules.defaults(), dir));

        assertThat(settings.config().applicationId()).isEqualTo("team-a-alerts");
        assertThat(settings.config().rules().rules()).extracting(r -> r.name()).containsExactly("OnlyOne");
        assertThat(settings.config().punctuateInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.config().maxEventAge()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.config().stateDir()).isEqualTo(dir);
        assertThat(settings.executorDeployment()).contains("toolformer-executor");
        assertThat(settings.maxExecutors()).contains(6);
    }

    @Test
    void shouldNameTheKeyOfATypoOrABadValue() throws Exception {
        Path typo = Files.writeString(dir.resolve("a.yaml"), "alerts: {max-event-ages: 1h}\n");
        Path bad = Files.writeString(dir.resolve("b.yaml"), "alerts: {punctuate-interval: soon}\n");
        AlertConfig base = AlertConfig.of(AlertRules.defaults(), dir);

        assertThatIllegalArgumentException().isThrownBy(() -> AlertConfigFile.load(typo, base))
                .withMessageStartingWith("alert-processor config " + typo + ": unknown key alerts.max-event-ages");
        assertThatIllegalArgumentException().isThrownBy(() -> AlertConfigFile.load(bad, base))
                .withMessageStartingWith("alert-processor config " + bad + ": alerts.punctuate-interval = 'soon': "
                        + "expected ");
        // A value of the right type but out of range names its key too, as the file spells it.
        Path zero = Files.writeString(dir.resolve("z.yaml"), "alerts: {max-event-age: 0s}\n");
        assertThatIllegalArgumentException().isThrownBy(() -> AlertConfigFile.load(zero, base))
                .withMessageContaining("alerts.max-event-age must be > 0, was PT0S");
        Path never = Files.writeString(dir.resolve("n.yaml"), "alerts: {punctuate-interval: 0s}\n");
        assertThatIllegalArgumentException().isThrownBy(() -> AlertConfigFile.load(never, base))
                .withMessageContaining("alerts.punctuate-interval must be >= 1ms, was PT0S");
        assertThat(AlertConfigFile.load(Files.writeString(dir.resolve("c.yaml"), "{}\n"), base))
                .isEqualTo(new AlertConfigFile(base, Optional.empty(), Optional.empty()));
    }
}
