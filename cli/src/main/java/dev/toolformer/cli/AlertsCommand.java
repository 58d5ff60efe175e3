package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.toolformer.alerts.AlertHistory;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.Silence;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer alerts}: list active alerts with their silenced / acknowledged state now. */
@Command(name = "alerts", mixinStandardHelpOptions = true,
        description = "Print the active (pending or firing) alerts as JSON lines, with silenced and acknowledged"
                + " as of now.")
final class AlertsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--all", description = "Include resolved alerts (their latest transition).")
    boolean all;

    @Override
    public Integer call() {
        Map<String, AlertEvent> latest = AlertHistory.latest(kafka.settings());
        List<Silence> silences = Silences.readAll(kafka.settings());
        Instant now = Instant.now();
        PrintWriter out = spec.commandLine().getOut();
        for (AlertEvent alert : latest.values()) {
            if (!all && alert.getState() == AlertState.RESOLVED) {
                continue;
            }
            AlertEvent current = AlertEvent.newBuilder(alert)
                    .setSilenced(Silences.silencing(silences, alert.getLabels(), now).isPresent())
                    .setAcknowledged(silences.stream().anyMatch(s -> Silences.acknowledges(s, alert.getFingerprint(),
                            alert.getActiveSince(), now)))
                    .build();
            out.println(RecordJson.toJson(current));
        }
        out.flush();
        return 0;
    }
}
