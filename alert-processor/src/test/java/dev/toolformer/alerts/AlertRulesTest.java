package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertRulesTest {

    @Test
    void shouldLoadDefaults() {
        assertThat(AlertRules.defaults().rules()).containsExactly(
                new AlertRule("HighErrorRate", "error_rate", AlertRule.Comparator.GT, 0.01, Duration.ofMinutes(2),
                        "critical", Map.of("tool", "*", "provider", "*"), Map.of(
                        "summary", "Error rate {{value}} above {{threshold}} for {{tool}}",
                        "description", "More than 1% of tool calls failed (ERROR or TIMEOUT) for 2 minutes;"
                                + " tool={{tool}} provider={{provider}}.")),
                new AlertRule("HighLatency", "latency_p95_ms", AlertRule.Comparator.GT, 2000, Duration.ofMinutes(5),
                        "warning", Map.of("tool", "*", "provider", "*"), Map.of(
                        "summary", "p95 latency {{value}} ms above {{threshold}} ms for {{tool}}",
                        "description", "The 95th percentile end-to-end latency stayed above 2 s for 5 minutes;"
                                + " tool={{tool}} provider={{provider}}.")));
    }

    @Test
    void shouldLoadRulesFileWithOptionalKeysOmitted(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, """
                rules:
                  - name: LowAvailability
                    expr: {field: availability, op: "<=", threshold: 0.99}
                    severity: page
                """);

        assertThat(AlertRules.load(file).rules()).containsExactly(new AlertRule("LowAvailability", "availability",
                AlertRule.Comparator.LTE, 0.99, Duration.ZERO, "page", Map.of(), Map.of()));
    }

    @Test
    void shouldParseDurations() {
        assertThat(forOf("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(forOf("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(forOf("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(forOf("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(forOf("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(forOf("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void shouldRejectUnknownField() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_ratio, op: \">\", threshold: 0.01}"),
                        "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.field' is"
                        + " \"error_ratio\": expected a numeric SloWindow field, one of " + AlertRule.FIELDS);
    }

    @Test
    void shouldRejectBadOperator() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \"=>\", threshold: 0.01}"),
                        "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.op' is \"=>\":"
                        + " expected one of >, >=, <, <=");
    }

    @Test
    void shouldRejectBadDuration() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "for: 2 minutes"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'for' is \"2 minutes\":"
                        + " expected a duration like 30s, 2m or 1h (units ms, s, m, h, d)");
    }

    @Test
    void shouldRejectNonNumericThreshold() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: \"1%\"}"),
                        "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.threshold' is"
                        + " \"1%\": expected a number");
    }

    @Test
    void shouldRejectUnknownKeyOfRule() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "fro: 2m"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': unknown key 'fro':"
                        + " expected one of [name, source, expr, for, severity, match, annotations]");
    }

    @Test
    void shouldRejectUnknownMatcherLabel() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "match: {model: gpt}"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'match' is \"model\":"
                        + " expected a label, one of [provider, tool]");
    }

    @Test
    void shouldNameRuleByIndexWhenNameIsMissing() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse("""
                        rules:
                          - name: A
                            expr: {field: error_rate, op: ">", threshold: 0.01}
                            severity: critical
                          - expr: {field: error_rate, op: ">", threshold: 0.01}
                            severity: critical
                        """, "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[1]): alert rule: key 'name' is missing:"
                        + " expected the rule's name, e.g. HighErrorRate");
    }

    @Test
    void shouldRejectDuplicateRuleNames() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse("""
                        rules:
                          - name: A
                            expr: {field: error_rate, op: ">", threshold: 0.01}
                            severity: critical
                          - name: A
                            expr: {field: latency_p95_ms, op: ">", threshold: 2000}
                            severity: warning
                        """, "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[1]): alert rule 'A': key 'name' is \"A\":"
                        + " expected a name not already used by rules[0]");
    }

    @Test
    void shouldRejectUnsupportedSource() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "source: toolformer.cost"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'source' is"
                        + " \"toolformer.cost\": expected \"toolformer.slo\", the only source supported so far");
    }

    @Test
    void shouldReportLineOfYamlSyntaxError() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse("rules:\n  - name: A\n    expr: {field: [\n", "rules.yaml"))
                .withMessage("rules.yaml line 4: expected the node content, but found '<stream end>'"
                        + " (while parsing a flow node)");
    }

    @Test
    void shouldReportLineOfDuplicateKey() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "severity: warning"), "rules.yaml"))
                .withMessageStartingWith("rules.yaml line 6: Duplicate field 'severity'");
    }

    @Test
    void shouldRejectFileWithoutRules() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse("alerts: []\n", "rules.yaml"))
                .withMessage("rules.yaml line 1: unknown key 'alerts': expected 'rules'");
    }

    private static Duration forOf(String duration) {
        return AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}", "for: " + duration),
                "rules.yaml").rules().get(0).forDuration();
    }

    /** A HighErrorRate rule whose line 4 is {@code expr} and line 5 is {@code extra}, if given. */
    private static String rule(String expr, String... extra) {
        return "# test rules\nrules:\n  - name: HighErrorRate\n    " + expr + "\n"
                + (extra.length == 0 ? "" : "    " + extra[0] + "\n")
                + "    severity: critical\n";
    }
}
