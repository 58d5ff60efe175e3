package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.schema.Silence;
import dev.toolformer.server.AdminActions;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer silence}: mute matching alerts for a while, expire a silence, or list them. */
@Command(name = "silence", mixinStandardHelpOptions = true,
        description = {"Silence alerts whose labels match (no notifications, no incident actions), stored in the"
                + " compacted topic toolformer.silences and honoured by every alert-processor instance.",
                "Examples: toolformer silence --match alertname=HighLatency --match tool=search --for 2h"
                        + " --comment \"provider maintenance\"; toolformer silence --expire silence:...;"
                        + " toolformer silence --list"})
final class SilenceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @ArgGroup(multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = "--match", paramLabel = "LABEL=VALUE", description = "Label an alert must have; repeatable.")
        Map<String, String> matchers = new LinkedHashMap<>();

        @Option(names = "--expire", paramLabel = "ID", description = "Expire the silence with this id now.")
        String expire;

        @Option(names = "--list", description = "Print the stored silences and acknowledgements as JSON lines.")
        boolean list;
    }

    @Option(names = "--for", paramLabel = "DURATION", defaultValue = "2h",
            description = "How long the silence lasts (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--comment", paramLabel = "TEXT", defaultValue = "", description = "Why.")
    String comment;

    @Option(names = "--by", paramLabel = "NAME", description = "Who (default: the user name).")
    String by = System.getProperty("user.name", "");

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (mode.list) {
            Silences.readAll(kafka.settings()).forEach(s -> out.println(RecordJson.toJson(s)));
        } else if (mode.expire != null) {
            try (AdminActions actions = new AdminActions(kafka.settings())) {
                actions.expire(mode.expire);
            }
            out.println("expired " + mode.expire);
        } else {
            Silence silence;
            try (AdminActions actions = new AdminActions(kafka.settings())) {
                silence = actions.silence(mode.matchers, duration, by, comment);
            }
            out.println(silence.getId() + " silences " + mode.matchers + " until " + silence.getEndsAt());
        }
        out.flush();
        return 0;
    }
}
