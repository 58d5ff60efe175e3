package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A healthy demo, run as a user runs it (the real {@code ./toolformer} launcher, its embedded broker), prints a
 * readable console: no ERROR line, and no WARN line from the Kafka broker or client libraries — their lines are in
 * {@code <data-dir>/logs/kafka.log} (how many ERROR lines the embedded broker wrote there is printed).
 */
@Tag("integration")
class DemoConsoleIT {
    private static final Pattern LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (\\w+) +\\[[^]]*] (\\S+) - .*");

    @Test
    @Timeout(300)
    void shouldPrintNoErrorAndNoLibraryWarningInAHealthyDemo(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path root = Path.of("..").toAbsolutePath().normalize();
        // The jar this build packaged is current: the launcher must not start a second build inside this one.
        Files.writeString(root.resolve("cli/target/.toolformer-built"), "");
        Path console = dir.resolve("demo.log");
        Process demo = new ProcessBuilder(root.resolve("toolformer").toString(), "demo", "--duration", "15s",
                "--no-incident", "--broker-port", "0", "--http-port", "0", "--data-dir", data.toString())
                .redirectErrorStream(true).redirectOutput(console.toFile()).start();
        try {
            assertThat(demo.waitFor(240, TimeUnit.SECONDS)).as("demo ended").isTrue();
            assertThat(demo.exitValue()).as(Files.readString(console)).isZero();
        } finally {
            demo.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(console);

        List<String> errors = lines.stream().filter(l -> level(l).equals("ERROR")).toList();
        List<String> libraryWarnings = lines.stream().filter(l -> level(l).equals("WARN"))
                .filter(l -> isLibrary(logger(l))).toList();
        String kafkaLog = Files.readString(data.resolve("logs/kafka.log"));
        System.out.println("DemoConsoleIT: the embedded broker logged " + kafkaLog.lines()
                .filter(l -> l.contains(" ERROR ")).count() + " ERROR line(s) to its file");
        assertThat(errors).as("ERROR lines of a healthy demo; Kafka's own log around the first:%n%s",
                around(kafkaLog, "ERROR")).isEmpty();
        assertThat(libraryWarnings).as("Kafka library WARN lines on the console").isEmpty();
        assertThat(lines).as("the summary").anyMatch(l -> l.startsWith("== toolformer demo summary"));
        assertThat(kafkaLog).as("the broker's own lines, in the file").contains("kafka.").contains("INFO");
    }

    /** The first line of {@code log} containing {@code text} and the 20 after it (a stack trace), or "". */
    private static String around(String log, String text) {
        List<String> lines = log.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return String.join("\n", lines.subList(i, Math.min(lines.size(), i + 21)));
            }
        }
        return "";
    }

    private static String level(String line) {
        var m = LINE.matcher(line);
        return m.matches() ? m.group(1) : "";
    }

    private static String logger(String line) {
        var m = LINE.matcher(line);
        return m.matches() ? m.group(2) : "";
    }

    /** The abbreviated names logback prints for the Kafka broker's and clients' loggers. */
    private static boolean isLibrary(String logger) {
        return logger.startsWith("o.a.k.") || logger.startsWith("o.apache.kafka") || logger.startsWith("kafka.")
                || logger.startsWith("org.apache.kafka") || logger.equals("state.change.logger");
    }
}
