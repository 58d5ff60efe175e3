package dev.toolformer.app.ops;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import dev.toolformer.app.DurationConverter;
import dev.toolformer.app.KafkaOptions;
import dev.toolformer.app.ops.CostReport.Line;
import dev.toolformer.app.ops.CostReport.Recommendation;
import dev.toolformer.app.ops.CostReport.Report;
import dev.toolformer.app.ops.CostReport.Speculation;
import dev.toolformer.common.topic.Topics;
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
            print(report, out);
        }
        out.flush();
        return 0;
    }

    static void print(Report r, PrintWriter out) {
        out.printf("== cost report %s .. %s (prices: %s)%n", r.from(), r.to(), r.pricing());
        out.printf("%,d requests (%,d not served: rejected or unavailable, left out below; %,d duplicate results ignored),"
                + " $%.4f%n", r.requests(), r.notServed(), r.duplicateResults(), r.costUsd());
        table(out, "by provider", r.byProvider());
        table(out, "by model", r.byModel());
        table(out, "by tool", r.byTool());
        out.println();
        out.println("speculation");
        out.printf("  %-28s %11s %8s %8s %10s %9s %12s%n", "TOOL", "SPECULATIVE", "USED", "UNUSED", "UNRESOLVED", "ACCURACY", "WASTED");
        for (Speculation s : r.speculation()) {
            out.printf("  %-28s %,11d %,8d %,8d %,10d %9s %12s%n", s.tool(), s.speculative(), s.used(), s.unused(),
                    s.unresolved(), s.accuracy() == null ? "-" : String.format("%.1f %%", 100 * s.accuracy()),
                    String.format("$%.4f", s.wastedCostUsd()));
        }
        out.println();
        out.println("recommendations");
        if (r.recommendations().isEmpty()) {
            out.println("  none: no small requests on an expensive model, speculation accurate enough, no erratic costs");
        }
        for (Recommendation rec : r.recommendations()) {
            out.printf("  [%s] %s%s%n    %s%n", rec.kind(), rec.target(), rec.savingsUsd() == null ? ""
                    : String.format("  saves $%.4f in the period (~$%.2f per 30 days at this rate)", rec.savingsUsd(),
                    rec.savingsUsdPer30Days()), rec.reasoning());
        }
        out.printf("estimated savings: $%.4f in the period, ~$%.2f per 30 days at this rate%n", r.totalSavingsUsd(),
                r.totalSavingsUsdPer30Days());
    }

    private static void table(PrintWriter out, String title, List<Line> lines) {
        out.println();
        out.println(title);
        out.printf("  %-36s %9s %13s %12s %11s %13s %13s%n", "", "REQUESTS", "TOKENS IN", "TOKENS OUT", "COST", "PER REQUEST", "STDDEV");
        for (Line l : lines) {
            out.printf("  %-36s %,9d %,13d %,12d %11s %13s %13s%n", l.key(), l.requests(), l.inputTokens(), l.outputTokens(),
                    String.format("$%.4f", l.costUsd()), String.format("$%.6f", l.costPerRequestUsd()),
                    String.format("$%.6f", l.costPerRequestStddev()));
        }
    }
}
