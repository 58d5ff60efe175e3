package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import dev.toolformer.cli.BackupCommand;
import dev.toolformer.cli.BenchCommand;
import dev.toolformer.cli.CapacityCommand;
import dev.toolformer.cli.CostReportCommand;
import dev.toolformer.cli.RestoreCommand;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.server.logging.Logging;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** The {@code toolformer} command line. */
@Command(name = "toolformer", mixinStandardHelpOptions = true, versionProvider = ToolformerCli.Version.class,
        description = "Runs the tool calls of LLM agents over Kafka and keeps them within their SLOs.",
        subcommands = {UpCommand.class, DemoCommand.class, SubmitCommand.class, ResultsCommand.class,
                TopicsCommand.class, DashboardCommand.class, AlertsCommand.class, SilenceCommand.class, AckCommand.class,
                BackupCommand.class, RestoreCommand.class, CostReportCommand.class, CapacityCommand.class,
                BenchCommand.class, BrokerCommand.class,
                ServiceCommands.Executor.class, ServiceCommands.Analytics.class,
                ServiceCommands.AlertProcessor.class, CommandLine.HelpCommand.class})
public final class ToolformerCli implements Runnable {
    /** Exit code for bad command-line input or configuration. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--log-format", scope = CommandLine.ScopeType.INHERIT, paramLabel = "text|json",
            defaultValue = "text", description = "Log lines as human-readable text or JSON (default: ${DEFAULT-VALUE}).")
    Logging.Format logFormat;

    @CommandLine.Option(names = "--otlp-endpoint", scope = CommandLine.ScopeType.INHERIT, paramLabel = "URL",
            defaultValue = "${env:OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}",
            description = "Send sampled spans over OTLP/HTTP here, e.g. http://jaeger:4318/v1/traces (default: none).")
    String otlpEndpoint;

    @CommandLine.Option(names = "--trace-sample-ratio", scope = CommandLine.ScopeType.INHERIT, paramLabel = "RATIO",
            defaultValue = "0.1", description = "Share of traces sampled, 0..1 (default: ${DEFAULT-VALUE}).")
    double traceSampleRatio;

    @CommandLine.Option(names = "--log-level", scope = CommandLine.ScopeType.INHERIT, paramLabel = "LEVEL",
            defaultValue = "${env:TOOLFORMER_LOG_LEVEL:-INFO}",
            description = "TRACE, DEBUG, INFO, WARN or ERROR (default: ${DEFAULT-VALUE}).")
    String logLevel;

    public static void main(String[] args) {
        int code = execute(args);
        TracingSetup.shutdown(); // flush the last sampled spans
        System.exit(code);
    }

    /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 bad input). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new ToolformerCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, new DurationConverter())
                .setParameterExceptionHandler(new OneLineUsageError())
                .setExecutionExceptionHandler(new OneLineFailure())
                .setExecutionStrategy(ToolformerCli::configureLoggingThenRun);
        return cli.execute(args);
    }

    /** Applies --log-format / --log-level of the command being run before anything logs. */
    private static int configureLoggingThenRun(ParseResult parsed) {
        ParseResult last = parsed;
        while (last.subcommand() != null) {
            last = last.subcommand();
        }
        Logging.Format format = last.matchedOptionValue("--log-format", Logging.Format.TEXT);
        String level = last.matchedOptionValue("--log-level", System.getenv().getOrDefault("TOOLFORMER_LOG_LEVEL", "INFO"));
        if (!Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(level.toUpperCase(Locale.ROOT))) {
            throw new ParameterException(last.commandSpec().commandLine(),
                    "Invalid value for option '--log-level': '" + level + "' (expected TRACE, DEBUG, INFO, WARN or ERROR)");
        }
        try {
            Logging.configure(format, level, "toolformer-" + last.commandSpec().name());
            Namespace.prefix(); // a bad TOOLFORMER_NAMESPACE fails here, naming the variable
            String endpoint = last.matchedOptionValue("--otlp-endpoint", System.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
            double ratio = last.matchedOptionValue("--trace-sample-ratio", Tracing.DEFAULT_SAMPLE_RATIO);
            TracingSetup.install("toolformer-" + last.commandSpec().name(), ratio,
                    last.hasMatchedOption("--trace-sample-ratio"), endpoint, last.hasMatchedOption("--otlp-endpoint"),
                    System.getenv());
        } catch (RuntimeException e) {
            throw new CommandLine.ExecutionException(last.commandSpec().commandLine(), e.getMessage(), e);
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Bad input: one line naming what was wrong, exit code 2. */
    private static final class OneLineUsageError implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("toolformer: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return USAGE;
        }
    }

    /** A failure while running: one line, no stack trace (the log has details), exit code 1 or 2. */
    private static final class OneLineFailure implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
            PrintWriter err = cmd.getErr();
            err.println("toolformer " + cmd.getCommandName() + ": " + describe(e));
            err.flush();
            return e instanceof IllegalArgumentException ? USAGE : 1;
        }

        private static String describe(Throwable e) {
            StringBuilder out = new StringBuilder(e.getMessage() != null ? e.getMessage()
                    : e instanceof TimeoutException ? "timed out"
                    : e.getClass().getSimpleName());
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                if (c.getMessage() != null && !out.toString().contains(c.getMessage())) {
                    out.append(": ").append(c.getMessage());
                }
            }
            return out.toString();
        }
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ToolformerCli.class.getPackage().getImplementationVersion();
            return new String[] {"toolformer " + (v == null ? "dev" : v)};
        }
    }
}
