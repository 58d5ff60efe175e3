package dev.toolformer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import dev.toolformer.cli.DurationConverter;
import dev.toolformer.cli.KafkaOptions;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.ops.BackupManifest;
import dev.toolformer.ops.CostReport;
import dev.toolformer.ops.CostReport.Report;
import dev.toolformer.ops.PriceTable;
import dev.toolformer.ops.TopicReader;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer cost-report}: what the tool calls cost and how to spend less. */
@Command(name = "cost-report", mixinStandardHelpOptions = true,
        description = {"Cost of the results of a period by provider, model and tool, cost per request and its variance, "
                + "wasted speculation cost, and recommendations with savings computed from the results and the price table."})
public final class CostReportCommand implements Callable<Integer> {
    /** Results are read from this long before the period, since a record's timestamp may precede its finished_at. */
    private static final Duration SLACK = Duration.ofHours(1);

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "7d", converter = DurationConverter.class,
            description = "Period to report, up to now (default: ${DEFAULT-VALUE}).")
    Duration since;

    @Option(names = "--pricing", paramLabel = "FILE", description = "Price table (default: the bundled config/pricing.yaml).")
    Path pricing;

    @Option(names = "--small-request-tokens", paramLabel = "N", defaultValue = "1000",
            description = "Requests of at most N tokens (90th percentile) are small: a cheaper model is suggested (default: ${DEFAULT-VALUE}).")
    long smallRequestTokens;

    @Option(names = "--min-speculation-accuracy", paramLabel = "RATIO", defaultValue = "0.7",
            description = "Below this share of speculative calls used, a higher threshold is suggested (default: ${DEFAULT-VALUE}).")
    double minSpeculationAccuracy;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (since.isNegative() || since.isZero()) {
            throw new IllegalArgumentException("--since must be positive, was " + since);
        }
        CostReport.Options options = new CostReport.Options(smallRequestTokens, minSpeculationAccuracy, 1.0);
        PriceTable prices = PriceTable.load(pricing);
        Instant to = Clock.systemUTC().instant();
        Instant from = to.minus(since);
        List<ToolResult> results = TopicReader.read(kafka.settings(), Topics.RESULTS, from.minus(SLACK));
        List<SpeculationOutcome> outcomes = TopicReader.read(kafka.settings(), Topics.SPECULATION_OUTCOMES, from.minus(SLACK));
        Report report = CostReport.build(results, outcomes, prices, from, to, options);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(BackupManifest.JSON.writeValueAsString(report));
        } else {
            CostReport.print(report, out);
        }
        out.flush();
        return 0;
    }
}
