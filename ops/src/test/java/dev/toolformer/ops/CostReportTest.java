package dev.toolformer.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.ops.CostReport.Line;
import dev.toolformer.ops.CostReport.Recommendation;
import dev.toolformer.ops.CostReport.Report;
import dev.toolformer.ops.CostReport.Speculation;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.Test;

class CostReportTest {
    private static final Instant FROM = Instant.parse("2026-11-21T00:00:00Z");
    private static final Instant TO = FROM.plus(Duration.ofDays(7));
    private static final PriceTable PRICES = PriceTable.load(Path.of("../config/pricing.yaml"));

    private final List<ToolResult> results = new ArrayList<>();
    private final List<SpeculationOutcome> outcomes = new ArrayList<>();
    private int sequence;

    @Test
    void shouldSuggestTheProvidersCheapestModelForSmallRequestsWithSavingsFromTheirTokens() {
        // 100 small calls on gpt-4o: 200 + 100 tokens, $0.0015 each; on gpt-4o-mini $0.00009 each.
        for (int i = 0; i < 100; i++) {
            add("summarize", "openai", "gpt-4o", 200, 100, false);
        }
        // Large calls are left alone.
        for (int i = 0; i < 10; i++) {
            add("research", "anthropic", "claude-3-5-sonnet", 5_000, 2_000, false);
        }

        Report report = build();

        assertThat(report.recommendations()).hasSize(1);
        Recommendation rec = report.recommendations().getFirst();
        assertThat(rec.kind()).isEqualTo("cheaper-model");
        assertThat(rec.target()).isEqualTo("summarize on openai/gpt-4o");
        assertThat(rec.savingsUsd()).isCloseTo(100 * (0.0015 - 0.00009), within(1e-12));
        assertThat(rec.savingsUsdPer30Days()).isCloseTo(100 * (0.0015 - 0.00009) * 30 / 7, within(1e-12));
        assertThat(rec.reasoning()).contains("openai/gpt-4o-mini cost $0.0090").contains("$0.1500");
        assertThat(report.totalSavingsUsd()).isEqualTo(rec.savingsUsd());
    }

    @Test
    void shouldReportCostPerRequestAndItsVarianceByProviderModelAndTool() {
        add("echo", "local", "none", 0, 0, false);
        add("summarize", "openai", "gpt-4o", 200, 100, false);   // $0.0015
        add("summarize", "openai", "gpt-4o", 600, 300, false);   // $0.0045
        add("research", "anthropic", "claude-3-5-haiku", 1_000, 500, false); // $0.0028

        Report report = build();

        assertThat(report.requests()).isEqualTo(4);
        assertThat(report.costUsd()).isCloseTo(0.0015 + 0.0045 + 0.0028, within(1e-12));
        Line gpt4o = line(report.byModel(), "openai/gpt-4o");
        assertThat(gpt4o.requests()).isEqualTo(2);
        assertThat(gpt4o.inputTokens()).isEqualTo(800);
        assertThat(gpt4o.outputTokens()).isEqualTo(400);
        assertThat(gpt4o.costPerRequestUsd()).isCloseTo(0.003, within(1e-12));
        assertThat(gpt4o.costPerRequestVariance()).isCloseTo(2 * 0.0015 * 0.0015, within(1e-15));
        assertThat(report.byModel()).extracting(Line::key)
                .containsExactly("openai/gpt-4o", "anthropic/claude-3-5-haiku", "local/none");
        assertThat(line(report.byProvider(), "anthropic").costUsd()).isCloseTo(0.0028, within(1e-12));
        assertThat(line(report.byTool(), "echo").costUsd()).isZero();
    }

    @Test
    void shouldLeaveCallsThatNeverReachedAProviderOutOfTheCostPerRequest() {
        AvroSerde.of(ToolResult.class); // tells Avro to trust the generated classes (the builder copy needs it)
        add("summarize", "openai", "gpt-4o", 200, 100, false);   // $0.0015
        add("summarize", "openai", "gpt-4o", 600, 300, false);   // $0.0045
        for (ToolStatus status : List.of(ToolStatus.UNAVAILABLE, ToolStatus.UNAVAILABLE, ToolStatus.REJECTED)) {
            String id = "unserved-" + (++sequence);
            results.add(ToolResult.newBuilder(result(id, "summarize", "openai", "gpt-4o", 0, 0, false,
                    FROM.plus(Duration.ofMinutes(sequence)))).setStatus(status).setCostUsd(0).build());
        }

        Report report = build();

        assertThat(report.requests()).isEqualTo(5);
        assertThat(report.notServed()).isEqualTo(3);
        Line gpt4o = line(report.byModel(), "openai/gpt-4o");
        assertThat(gpt4o.requests()).isEqualTo(2);
        assertThat(gpt4o.costPerRequestUsd()).isCloseTo(0.003, within(1e-12));
    }

    @Test
    void shouldCountUnusedSpeculativeCallsAsWasteAndSuggestAHigherThresholdWhenAccuracyIsLow() {
        for (int i = 0; i < 10; i++) {
            String id = add("search", "anthropic", "claude-3-5-sonnet", 3_000, 1_000, true); // $0.024 each
            if (i < 3) {
                outcome(id, true);
            } else if (i < 9) {
                outcome(id, false);
            }
        }

        Report report = build();

        Speculation search = report.speculation().stream().filter(s -> s.tool().equals("search")).findFirst().orElseThrow();
        assertThat(search.speculative()).isEqualTo(10);
        assertThat(search.used()).isEqualTo(3);
        assertThat(search.unused()).isEqualTo(6);
        assertThat(search.unresolved()).isEqualTo(1);
        assertThat(search.accuracy()).isCloseTo(3.0 / 9, within(1e-12));
        assertThat(search.wastedCostUsd()).isCloseTo(6 * 0.024, within(1e-12));
        Recommendation rec = report.recommendations().stream().filter(r -> r.kind().equals("speculation-threshold"))
                .findFirst().orElseThrow();
        assertThat(rec.target()).isEqualTo("search");
        assertThat(rec.savingsUsd()).isCloseTo(6 * 0.024, within(1e-12));
        assertThat(rec.reasoning()).startsWith("Only 3 of 9 decided speculative calls of tool search were used (33.3 % < 70.0 %)");
    }

    @Test
    void shouldIgnoreDuplicateResultsAndResultsOutsideThePeriod() {
        String id = add("summarize", "openai", "gpt-4o", 200, 100, false);
        results.add(results.getFirst());
        results.add(result("old", "summarize", "openai", "gpt-4o", 200, 100, false, FROM.minusSeconds(1)));
        results.add(result("late", "summarize", "openai", "gpt-4o", 200, 100, false, TO));

        Report report = build();

        assertThat(id).isEqualTo("r-1");
        assertThat(report.requests()).isEqualTo(1);
        assertThat(report.duplicateResults()).isEqualTo(1);
    }

    @Test
    void shouldPrintTheReportWithEveryRecommendationAndItsReasoning() {
        for (int i = 0; i < 20; i++) {
            add("summarize", "openai", "gpt-4o", 200, 100, false);
        }
        StringWriter text = new StringWriter();

        CostReport.print(build(), new PrintWriter(text, true));

        assertThat(text.toString())
                .contains("== cost report 2026-11-21T00:00:00Z .. 2026-11-28T00:00:00Z")
                .contains("[cheaper-model] summarize on openai/gpt-4o  saves $0.0282 in the period (~$0.12 per 30 days at this rate)")
                .contains("estimated savings: $0.0282 in the period");
    }

    @Test
    void shouldRejectAnAccuracyThresholdOutsideZeroToOne() {
        assertThatThrownBy(() -> new CostReport.Options(1_000, 1.5, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("min speculation accuracy must be within [0, 1], was 1.5");
    }

    private Report build() {
        return CostReport.build(results, outcomes, PRICES, FROM, TO, CostReport.Options.DEFAULTS);
    }

    private static Line line(List<Line> lines, String key) {
        return lines.stream().filter(l -> l.key().equals(key)).findFirst().orElseThrow();
    }

    /** A result priced as the executor prices it; returns its request id. */
    private String add(String tool, String provider, String model, long in, long out, boolean speculative) {
        String id = "r-" + (++sequence);
        results.add(result(id, tool, provider, model, in, out, speculative, FROM.plus(Duration.ofMinutes(sequence))));
        return id;
    }

    private static ToolResult result(String id, String tool, String provider, String model, long in, long out,
                                     boolean speculative, Instant finished) {
        return ToolResult.newBuilder().setRequestId(id).setCorrelationId(id).setTool(tool).setStatus(ToolStatus.SUCCESS)
                .setAttempts(1).setSpeculative(speculative).setProvider(provider).setModel(model)
                .setSubmittedAt(finished.minusMillis(100)).setStartedAt(finished.minusMillis(90)).setFinishedAt(finished)
                .setInputTokens(in).setOutputTokens(out).setCostUsd(PRICES.costUsd(provider, model, in, out))
                .setExecutorId("executor-1").build();
    }

    private void outcome(String requestId, boolean used) {
        outcomes.add(SpeculationOutcome.newBuilder().setRequestId(requestId).setUsed(used)
                .setDecidedAt(FROM.plusSeconds(1)).build());
    }
}
