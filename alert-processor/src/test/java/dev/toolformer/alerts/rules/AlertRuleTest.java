package dev.toolformer.alerts.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.toolformer.alerts.Records;
import dev.toolformer.schema.SloWindow;
import org.junit.jupiter.api.Test;

class AlertRuleTest {

    @Test
    void shouldMatchOnlyWindowsWithEveryMatcherLabel() {
        AlertRule rule = rule(Map.of("tool", "*", "provider", "*"), Map.of());

        assertThat(rule.matches(Map.of("tool", "*", "provider", "*"))).isTrue();
        assertThat(rule.matches(Map.of("tool", "*", "provider", "openai"))).isFalse();
        assertThat(rule.matches(Map.of("tool", "search", "provider", "*"))).isFalse();
    }

    @Test
    void shouldMatchEveryWindowWithoutMatchers() {
        assertThat(rule(Map.of(), Map.of()).matches(Map.of("tool", "search", "provider", "openai"))).isTrue();
    }

    @Test
    void shouldBuildFingerprintFromNameAndSortedLabels() {
        assertThat(rule(Map.of(), Map.of()).fingerprint(Map.of("tool", "search", "provider", "openai")))
                .isEqualTo("HighErrorRate{provider=openai,tool=search}");
    }

    @Test
    void shouldRenderAnnotationPlaceholders() {
        AlertRule rule = rule(Map.of(), Map.of("summary", "{{tool}}/{{provider}}: {{value}} > {{ threshold }}"));

        assertThat(rule.render(Map.of("tool", "search", "provider", "openai"), 0.1 + 0.2))
                .isEqualTo(Map.of("summary", "search/openai: 0.3 > 0.01"));
    }

    @Test
    void shouldCompareWithEachComparator() {
        assertThat(Expr.Comparator.GT.test(1, 1)).isFalse();
        assertThat(Expr.Comparator.GTE.test(1, 1)).isTrue();
        assertThat(Expr.Comparator.LT.test(0.5, 1)).isTrue();
        assertThat(Expr.Comparator.LTE.test(1.5, 1)).isFalse();
        assertThat(Expr.Comparator.GT.test(Double.NaN, 0)).isFalse();
    }

    @Test
    void shouldOfferNumericSloWindowFieldsOnly() {
        assertThat(Source.SLO.numericFields())
                .contains("error_rate", "availability", "latency_p95_ms", "latency_p99_ms", "throughput_per_s",
                        "requests")
                .doesNotContain("tool", "provider", "is_final", "window_end", "emitted_at", "latency_sketch");
    }

    @Test
    void shouldRejectNegativeForDuration() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertRule("HighErrorRate", "error_rate", Expr.Comparator.GT, 0.01,
                        Duration.ofSeconds(-1), "critical", Map.of(), Map.of()))
                .withMessage("alert rule 'HighErrorRate': key 'for' is PT-1S: expected a duration >= 0");
    }

    @Test
    void shouldRejectUnknownPlaceholder() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> rule(Map.of(), Map.of("summary", "{{tool}} in {{region}}")))
                .withMessage("alert rule 'HighErrorRate': key 'annotations.summary' is \"{{tool}} in {{region}}\":"
                        + " expected placeholders among {{value}}, {{threshold}}, {{alertname}}, {{severity}},"
                        + " {{tool}}, {{provider}}, not {{region}}");
    }

    @Test
    void shouldRejectNonFiniteThreshold() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertRule("HighErrorRate", "error_rate", Expr.Comparator.GT, Double.NaN,
                        Duration.ZERO, "critical", Map.of(), Map.of()))
                .withMessage("alert rule 'HighErrorRate': key 'expr.threshold' is NaN: expected a finite number");
    }

    @Test
    void shouldDefaultMinRequestsToTenOnSloAndToZeroElsewhere() {
        Expr heap = new Expr.Threshold("heap_used_bytes", Expr.Comparator.GT, 1);

        assertThat(rule(Map.of(), Map.of()).minRequests()).isEqualTo(10);
        assertThat(rule(Map.of(), Map.of()).keepFiringFor()).isZero();
        assertThat(new AlertRule("Heap", "toolformer.health", heap, Duration.ZERO, "warning", Map.of(), Map.of(),
                Map.of()).minRequests()).isZero();
        assertThat(new AlertRule("Gone", "toolformer.slo", new Expr.Absent(Duration.ofMinutes(5)), Duration.ZERO,
                "critical", Map.of(), Map.of(), Map.of()).minRequests()).isZero();
    }

    @Test
    void shouldEvaluateOnlyRecordsWithAtLeastMinRequests() {
        AlertRule rule = rule(Map.of(), Map.of());

        assertThat(rule.counts(slo(9))).isFalse();
        assertThat(rule.counts(slo(10))).isTrue();
        assertThat(withMinRequests(0).counts(slo(0))).isTrue();
    }

    @Test
    void shouldRejectNegativeMinRequests() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> withMinRequests(-5))
                .withMessage("alert rule 'HighErrorRate': key 'min_requests' is -5: expected a whole number >= 0");
    }

    @Test
    void shouldRejectMinRequestsOnSourceWithoutNumericRequestsField() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertRule("BurnFast", "toolformer.burn-rates",
                        new Expr.BurnRatePair(Duration.ofHours(1), Duration.ofMinutes(5), 14.4), Duration.ZERO,
                        Duration.ZERO, 10, "page", Map.of(), Map.of(), Map.of()))
                .withMessage("alert rule 'BurnFast': key 'min_requests' is 10: expected 0 on toolformer.burn-rates,"
                        + " whose records have no numeric requests field; it applies to \"toolformer.slo\","
                        + " \"toolformer.cost\"");
    }

    @Test
    void shouldRejectNegativeKeepFiringFor() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new AlertRule("HighErrorRate", "toolformer.slo",
                        new Expr.Threshold("error_rate", Expr.Comparator.GT, 0.01), Duration.ZERO,
                        Duration.ofMinutes(-1), 10, "critical", Map.of(), Map.of(), Map.of()))
                .withMessage("alert rule 'HighErrorRate': key 'keep_firing_for' is PT-1M: expected a duration >= 0");
    }

    private static AlertRule withMinRequests(long minRequests) {
        return new AlertRule("HighErrorRate", "toolformer.slo", new Expr.Threshold("error_rate", Expr.Comparator.GT,
                0.01), Duration.ZERO, Duration.ZERO, minRequests, "critical", Map.of(), Map.of(), Map.of());
    }

    private static SloWindow slo(long requests) {
        return Records.sloUpdate("search", "openai", Instant.parse("2026-03-01T12:00:00Z"), requests, 0, true);
    }

    private static AlertRule rule(Map<String, String> matchers, Map<String, String> annotations) {
        return new AlertRule("HighErrorRate", "error_rate", Expr.Comparator.GT, 0.01, Duration.ZERO, "critical",
                matchers, annotations);
    }
}
