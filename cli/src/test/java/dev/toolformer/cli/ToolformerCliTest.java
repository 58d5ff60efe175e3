package dev.toolformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input on the command line: one clear line on stderr and exit code 2, never a stack trace. */
class ToolformerCliTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream originalErr;
    private PrintStream originalOut;

    @BeforeEach
    void capture() {
        originalErr = System.err;
        originalOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        System.setOut(originalOut);
    }

    @Test
    void shouldRejectUnknownOptionWithOneLineAndExitCode2() {
        assertThat(ToolformerCli.execute("demo", "--bogus")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer: Unknown option: '--bogus' (see 'toolformer demo --help')\n");
    }

    @Test
    void shouldRejectBadValueNamingTheOption() {
        assertThat(ToolformerCli.execute("demo", "--rate", "abc")).isEqualTo(2);
        assertThat(stderr()).isEqualTo(
                "toolformer: Invalid value for option '--rate': 'abc' is not a double (see 'toolformer demo --help')\n");
    }

    @Test
    void shouldRejectBadDuration() {
        assertThat(ToolformerCli.execute("demo", "--duration", "soon")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer: Invalid value for option '--duration': 'soon' is not a duration"
                + " (expected e.g. 500ms, 30s, 2m, 1h30m, 7d) (see 'toolformer demo --help')\n");
    }

    @Test
    void shouldRefuseAnExecutorConfigFileWithAnUnknownKeyBeforeStartingAnything(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("executor.properties");
        Files.writeString(file, "executor.max-in-flight = 100\nexecutor.max-inflight-bytes = 1MiB\n");
        // Nothing listens on the discard port: the command must fail on the file before it tries Kafka.
        assertThat(ToolformerCli.execute("executor", "--bootstrap-servers", "127.0.0.1:9", "--http-port", "0",
                "--config", file.toString())).isEqualTo(2);
        assertThat(stderr()).startsWith("toolformer executor: executor config " + file + ": unknown key"
                + " executor.max-inflight-bytes");
    }

    @Test
    void shouldRefuseAnalyticsAndAlertProcessorConfigFilesNamingTheBadKeyBeforeStartingAnything(@TempDir Path dir)
            throws Exception {
        Path analytics = Files.writeString(dir.resolve("analytics.yaml"), "analytics: {grace: 1m, windowsize: 2m}\n");
        Path alerts = Files.writeString(dir.resolve("alerts.properties"), "alerts.max-event-age = forever\n");

        assertThat(ToolformerCli.execute("analytics", "--bootstrap-servers", "127.0.0.1:9", "--http-port", "0",
                "--data-dir", dir.toString(), "--config", analytics.toString())).isEqualTo(2);
        assertThat(stderr()).startsWith("toolformer analytics: analytics config " + analytics + ": unknown key"
                + " analytics.windowsize (known: ");
        assertThat(ToolformerCli.execute("alert-processor", "--bootstrap-servers", "127.0.0.1:9", "--http-port", "0",
                "--data-dir", dir.toString(), "--config", alerts.toString())).isEqualTo(2);
        assertThat(stderr()).contains("toolformer alert-processor: alert-processor config " + alerts
                + ": alerts.max-event-age = 'forever': expected ");
    }

    @Test
    void shouldRejectNonPositiveDurationBeforeStartingAnything() {
        assertThat(ToolformerCli.execute("demo", "--duration", "0s")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer demo: --duration must be > 0, was PT0S\n");
    }

    @Test
    void shouldRejectArgumentsThatAreNotAJsonObject() {
        assertThat(ToolformerCli.execute("submit", "--tool", "echo", "--args", "[1]")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer submit: --args must be a JSON object, e.g. '{\"x\":1}', was: [1]\n");
    }

    @Test
    void shouldRequireTheToolOfSubmit() {
        assertThat(ToolformerCli.execute("submit")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer: Missing required option: '--tool=NAME' (see 'toolformer submit --help')\n");
    }

    @Test
    void shouldRejectOutOfRangePort() {
        assertThat(ToolformerCli.execute("up", "--http-port", "70000")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer up: --http-port must be 0..65535, was 70000\n");
    }

    @Test
    void shouldRejectABadAdminTokenFileBeforeStartingAnything(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "short\n");
        for (String command : new String[] {"up", "executor", "alert-processor"}) {
            err.reset();
            assertThat(ToolformerCli.execute(command, "--admin-token-file", file.toString())).as(command).isEqualTo(2);
            assertThat(stderr()).isEqualTo("toolformer " + command + ": --admin-token-file " + file
                    + " is 5 characters long: expected at least 16 (e.g. from 'openssl rand -hex 32')\n");
        }
    }

    @Test
    void shouldRejectABadSilenceBeforeConnecting() {
        assertThat(ToolformerCli.execute("silence", "--match", "to ol=x")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer silence: matcher label 'to ol' is not a label name: expected a letter"
                + " or _, then letters, digits, _ . or -; at most 100\n");
    }

    @Test
    void shouldPrintUsageOfEveryCommandOnHelp() {
        for (String command : new String[] {"up", "demo", "submit", "results", "topics", "executor", "analytics",
                "alert-processor", "broker"}) {
            out.reset();
            assertThat(ToolformerCli.execute(command, "--help")).as(command).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).as(command).startsWith("Usage: toolformer " + command);
        }
    }

    @Test
    void shouldRefuseABrokerCountItCannotRun() {
        assertThat(ToolformerCli.execute("up", "--brokers", "0")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer up: --brokers must be 1..9, was 0\n");
        err.reset();
        assertThat(ToolformerCli.execute("up", "--brokers", "3", "--bootstrap-servers", "kafka:9092")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("toolformer up: --brokers starts an embedded cluster: it cannot go with"
                + " --bootstrap-servers\n");
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldBindToLoopbackByDefault() {
        CommandLine cli = new CommandLine(new ToolformerCli());
        for (String command : List.of("up", "demo", "dashboard", "executor", "analytics", "alert-processor")) {
            String host = cli.getSubcommands().get(command).getCommandSpec().findOption("--http-host").defaultValue();
            assertThat(host).as(command).isEqualTo("127.0.0.1");
        }
    }
}
