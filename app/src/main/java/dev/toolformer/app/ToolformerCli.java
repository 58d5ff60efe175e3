package dev.toolformer.app;

import java.io.PrintWriter;

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
                TopicsCommand.class, ServiceCommands.Executor.class, ServiceCommands.Analytics.class,
                ServiceCommands.AlertProcessor.class, CommandLine.HelpCommand.class})
public final class ToolformerCli implements Runnable {
    /** Exit code for bad command-line input or configuration. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 bad input). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new ToolformerCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(java.time.Duration.class, new DurationConverter())
                .setParameterExceptionHandler(new OneLineUsageError())
                .setExecutionExceptionHandler(new OneLineFailure());
        return cli.execute(args);
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
            StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
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
