package dev.toolformer.alerts.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertRulesTest {

    @Test
    void shouldLoadDefaultsFromBundledConfigFile() {
        AlertRules defaults = AlertRules.defaults();

        assertThat(defaults.rules()).extracting(AlertRule::name).containsExactly("HighErrorRate", "HighLatency",
                "HighMemoryUsage", "HighMemoryUsageBytes", "HighAPICosts", "ServiceDown", "ErrorBudgetBurn1h", "ErrorBudgetBurn6h",
                "ErrorBudgetBurn1d", "ErrorBudgetBurn3d", "LowSpeculationAccuracy", "CostPerRequestVariance",
                "SloDataAbsent");
        assertThat(defaults.rules().get(0)).isEqualTo(new AlertRule("HighErrorRate", "toolformer.slo",
                new Expr.Threshold("error_rate", Expr.Comparator.GT, 0.01), Duration.ofMinutes(2),
                Duration.ofMinutes(2), 100, "critical", Map.of(), Map.of("team", "platform"), Map.of(
                "summary", "High error rate detected for tool={{tool}} provider={{provider}}",
                "description", "Error rate is {{value}} (above {{threshold}}) for 2 minutes.")));
        assertThat(defaults.rules().get(1)).extracting(AlertRule::name, AlertRule::keepFiringFor,
                AlertRule::minRequests).containsExactly("HighLatency", Duration.ofMinutes(5), 10L);
        assertThat(defaults.rules().get(6).expr())
                .isEqualTo(new Expr.BurnRatePair(Duration.ofHours(1), Duration.ofMinutes(5), 14.4));
        assertThat(defaults.incidents().rules()).extracting(IncidentPolicy.Rule::name)
                .containsExactly("high_error_rate_response", "high_memory_response", "service_down_response");
        assertThat(defaults.incidents().inhibitions()).containsExactly(new IncidentPolicy.Inhibit(
                Map.of("alertname", "ServiceDown"), Map.of(), List.of("executor")));
    }

    @Test
    void shouldShipTheEditableConfigFileAsTheDefault() {
        assertThat(AlertRules.load(Path.of("../config/alerts/rules.yaml")).rules())
                .isEqualTo(AlertRules.defaults().rules());
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
                Expr.Comparator.LTE, 0.99, Duration.ZERO, "page", Map.of(), Map.of()));
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
                        + " \"error_ratio\": expected a numeric field of toolformer.slo, one of "
                        + Source.SLO.numericFields());
    }

    @Test
    void shouldRejectBadOperator() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \"=>\", threshold: 0.01}"),
                        "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.op' is \"=>\":"
                        + " expected one of >, >=, <, <=, ==, !=");
    }

    @Test
    void shouldRejectBadDuration() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "for: 2 minutes"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'for' is \"2 minutes\":"
                        + " expected a duration like 30s, 2m, 1h30m or 7d (units ms, s, m, h, d) or ISO-8601");
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
                        + " expected one of [name, source, expr, for, keep_firing_for, min_requests, severity, match,"
                        + " labels, annotations]");
    }

    @Test
    void shouldDocumentEveryRuleKeyInTheHeaderOfTheShippedFile() throws Exception {
        String header = Files.readString(Path.of("../config/alerts/rules.yaml")).split("\nrules:\n")[0];

        assertThat(RuleReader.KEYS).allSatisfy(key -> assertThat(header).containsPattern("(?m)^#   " + key + "\\b"));
    }

    @Test
    void shouldReadKeepFiringForAndMinRequests() {
        AlertRule rule = AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                "keep_firing_for: 90s\n    min_requests: 25"), "rules.yaml").rules().get(0);

        assertThat(rule.keepFiringFor()).isEqualTo(Duration.ofSeconds(90));
        assertThat(rule.minRequests()).isEqualTo(25);
    }

    @Test
    void shouldDefaultMinRequestsToTenOnSloAndToZeroElsewhere() {
        String yaml = """
                rules:
                  - name: Slo
                    expr: {field: error_rate, op: ">", threshold: 0.01}
                    severity: critical
                  - name: Cost
                    source: toolformer.cost
                    expr: {field: cost_usd, op: ">", threshold: 100}
                    severity: warning
                  - name: SloAbsent
                    expr: {absent: 5m}
                    severity: critical
                """;

        assertThat(AlertRules.parse(yaml, "rules.yaml").rules())
                .extracting(AlertRule::minRequests, AlertRule::keepFiringFor)
                .containsExactly(tuple(10L, Duration.ZERO), tuple(0L, Duration.ZERO), tuple(0L, Duration.ZERO));
    }

    @Test
    void shouldRejectNegativeMinRequestsNamingItsLine() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "min_requests: -1"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'min_requests' is -1:"
                        + " expected a whole number >= 0");
    }

    @Test
    void shouldRejectFractionalMinRequests() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "min_requests: 2.5"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'min_requests' is 2.5:"
                        + " expected a whole number >= 0");
    }

    @Test
    void shouldRejectMinRequestsOnSourceWithoutRequests() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse("""
                        rules:
                          - name: HighMemoryUsage
                            source: toolformer.health
                            expr: {field: heap_used_bytes, op: ">", threshold: 1073741824}
                            min_requests: 10
                            severity: warning
                        """, "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighMemoryUsage': key 'min_requests' is 10:"
                        + " expected 0 on toolformer.health, whose records have no numeric requests field;"
                        + " it applies to \"toolformer.slo\", \"toolformer.cost\"");
    }

    @Test
    void shouldRejectBadKeepFiringFor() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "keep_firing_for: soon"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'keep_firing_for' is"
                        + " \"soon\": expected a duration like 30s, 2m, 1h30m or 7d (units ms, s, m, h, d) or ISO-8601");
    }

    @Test
    void shouldRejectKeepFiringForOnAbsentRule() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {absent: 10m}", "keep_firing_for: 1m"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'keep_firing_for' is"
                        + " PT1M: expected 0 for an absent rule: it resolves on the next record");
    }

    @Test
    void shouldRejectUnknownMatcherLabel() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "match: {model: gpt}"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'match' is \"model\":"
                        + " expected a label of toolformer.slo, one of [tool, provider]");
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
    void shouldRejectUnknownSource() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "source: toolformer.results"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'source' is"
                        + " \"toolformer.results\": expected one of \"toolformer.slo\", \"toolformer.burn-rates\","
                        + " \"toolformer.cost\", \"toolformer.speculation\", \"toolformer.health\"");
    }

    @Test
    void shouldRejectFieldOfAnotherSource() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}",
                        "source: toolformer.cost"), "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.field' is"
                        + " \"error_rate\": expected a numeric field of toolformer.cost, one of "
                        + Source.COST.numericFields());
    }

    @Test
    void shouldRejectBurnRatePairOutsideBurnRateSource() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {burn_rate: {long: 1h, short: 5m, factor: 14.4}}"),
                        "rules.yaml"))
                .withMessage("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.burn_rate' is"
                        + " used on toolformer.slo: expected source \"toolformer.burn-rates\"");
    }

    @Test
    void shouldRejectEqualityOnNumericField() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \"==\", value: DOWN}"),
                        "rules.yaml"))
                .withMessageStartingWith("rules.yaml line 4 (rules[0]): alert rule 'HighErrorRate': key 'expr.field'"
                        + " is \"error_rate\": expected a text or enum field of toolformer.slo for == and !=");
    }

    @Test
    void shouldRejectForOnAbsentRule() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {absent: 10m}", "for: 1m"), "rules.yaml"))
                .withMessage("rules.yaml line 5 (rules[0]): alert rule 'HighErrorRate': key 'for' is PT1M:"
                        + " expected 0 for an absent rule: expr.absent is the duration");
    }

    @Test
    void shouldRejectIncidentActionWithUnknownType() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                        + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n"
                        + "    actions: [reboot_universe]\n", "rules.yaml"))
                .withMessage("rules.yaml line 9 (incidents[0]): incident rule 'r': key 'actions[0]' is"
                        + " \"reboot_universe\": expected one of circuit_breaker, throttle, scale_up, notify, escalate,"
                        + " check_dependencies, trigger_gc, restart_service, or a mapping {type, ...}");
    }

    @Test
    void shouldReadCheckDependencyUrlsWithVariablesAndRejectThemElsewhere() {
        String head = rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n";
        AlertRules rules = AlertRules.parse(head + "    actions: [{type: check_dependencies, urls: [\"${ANALYTICS_URL:-http://a:8082/health/ready}\", \"${UNSET_URL:-}\"]}]\n", "rules.yaml");

        assertThat(rules.incidents().rules().get(0).actions().get(0).urls())
                .containsExactly("http://a:8082/health/ready");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(head + "    actions: [{type: scale_up, urls: [\"http://x\"]}]\n",
                        "rules.yaml"))
                .withMessageContaining("key 'actions[0].urls'")
                .withMessageContaining("only on a check_dependencies action");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(head + "    actions: [{type: check_dependencies, urls: [\"ftp://x\"]}]\n",
                        "rules.yaml"))
                .withMessageContaining("an http(s) URL");
    }

    @Test
    void shouldRejectNotifyToUnknownReceiver() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                        + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n"
                        + "    actions: [{type: notify, receiver: pager}]\n", "rules.yaml"))
                .withMessage("rules.yaml line 9 (incidents[0]): incident rule 'r': key 'actions[0].receiver' is"
                        + " \"pager\": expected one of the receivers []");
    }

    @Test
    void shouldReadProbeAfterOfACircuitBreakerAndDefaultItToThirtySeconds() {
        AlertRules rules = AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n"
                + "    actions: [{type: circuit_breaker, probe_after: 1m30s}]\n"
                + "  - name: s\n    match: {alertname: HighErrorRate}\n    actions: [circuit_breaker]\n", "rules.yaml");

        assertThat(rules.incidents().rules()).extracting(r -> r.actions().getFirst().probeAfter())
                .containsExactly(Duration.ofSeconds(90), Duration.ofSeconds(30));
    }

    @Test
    void shouldRejectProbeAfterOnAnotherActionOrNotPositive() {
        String head = rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n";
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(head + "    actions: [{type: throttle, probe_after: 10s}]\n",
                        "rules.yaml"))
                .withMessage("rules.yaml line 9 (incidents[0]): incident rule 'r': key 'actions[0].probe_after' is"
                        + " \"10s\": expected a duration > 0, and only on a circuit_breaker action");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AlertRules.parse(head + "    actions: [{type: circuit_breaker, probe_after: 0s}]\n",
                        "rules.yaml"))
                .withMessage("rules.yaml line 9 (incidents[0]): incident rule 'r': key 'actions[0].probe_after' is"
                        + " \"0s\": expected a duration > 0, and only on a circuit_breaker action");
    }

    @Test
    void shouldExpandEnvironmentInWebhookUrlsAndDropEmptyOnes() {
        AlertRules rules = AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                + "receivers:\n  - name: oncall\n    webhooks:\n"
                + "      - {url: \"${HOOK}/slack\", format: slack}\n"
                + "      - {url: \"${UNSET:-}\", format: alertmanager}\n", "rules.yaml",
                name -> name.equals("HOOK") ? "http://127.0.0.1:9" : null);

        assertThat(rules.incidents().receivers().get("oncall").webhooks()).containsExactly(new IncidentPolicy.Webhook(
                URI.create("http://127.0.0.1:9/slack"), IncidentPolicy.Format.SLACK));
    }

    @Test
    void shouldReadIncidentRuleDefaultsAndRoute() {
        AlertRules rules = AlertRules.parse(rule("expr: {field: error_rate, op: \">\", threshold: 0.01}")
                + "route: {group_by: [alertname, tool], group_wait: 0s}\n"
                + "incidents:\n  - name: r\n    match: {alertname: HighErrorRate}\n"
                + "    actions: [circuit_breaker, {type: throttle, rate_per_s: 5}]\n", "rules.yaml");

        assertThat(rules.incidents().route()).isEqualTo(new IncidentPolicy.Route(null, List.of("alertname", "tool"),
                Duration.ZERO, Duration.ofMinutes(5), Duration.ofHours(4)));
        assertThat(rules.incidents().rules()).containsExactly(new IncidentPolicy.Rule("r",
                Map.of("alertname", "HighErrorRate"), Duration.ofMinutes(5), 10, IncidentPolicy.Scope.RULE, List.of(
                new IncidentPolicy.Action(IncidentPolicy.ActionType.CIRCUIT_BREAKER, null, null, null),
                new IncidentPolicy.Action(IncidentPolicy.ActionType.THROTTLE, null, null, 5.0))));
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
                .withMessage("rules.yaml line 1: unknown key 'alerts': expected one of"
                        + " [rules, inhibit, route, receivers, incidents]");
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
