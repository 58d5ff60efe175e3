package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

import dev.toolformer.schema.AlertEvent;
import dev.toolformer.server.AdminActions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code toolformer ack ALERT}: acknowledge a firing alert, stopping its escalation and repeats. */
@Command(name = "ack", mixinStandardHelpOptions = true,
        description = "Acknowledge a firing alert by its fingerprint (see 'toolformer alerts'): no escalation and no"
                + " repeated notifications for its current firing episode.")
final class AckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(paramLabel = "ALERT", description = "Fingerprint of the alert, e.g. 'HighErrorRate{provider=*,tool=*}'.")
    String fingerprint;

    @Option(names = "--for", paramLabel = "DURATION", defaultValue = "24h",
            description = "How long the acknowledgement lasts (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--comment", paramLabel = "TEXT", defaultValue = "", description = "What is being done.")
    String comment;

    @Option(names = "--by", paramLabel = "NAME", description = "Who (default: the user name).")
    String by = System.getProperty("user.name", "");

    @Override
    public Integer call() {
        AlertEvent alert;
        try (AdminActions actions = new AdminActions(kafka.settings())) {
            alert = actions.acknowledge(fingerprint, duration, by, comment).alert();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("acknowledged " + fingerprint + " (" + alert.getState() + " since " + alert.getActiveSince() + ")");
        out.flush();
        return 0;
    }
}
