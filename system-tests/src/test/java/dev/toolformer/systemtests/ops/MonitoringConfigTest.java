package dev.toolformer.systemtests.ops;

import static dev.toolformer.systemtests.ops.MonitoringFiles.alertRules;
import static dev.toolformer.systemtests.ops.MonitoringFiles.dashboardExprs;
import static dev.toolformer.systemtests.ops.MonitoringFiles.list;
import static dev.toolformer.systemtests.ops.MonitoringFiles.map;
import static dev.toolformer.systemtests.ops.MonitoringFiles.metricNames;
import static dev.toolformer.systemtests.ops.MonitoringFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsMeters;
import dev.toolformer.systemtests.RequiredTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks {@code config/monitoring/}: the Prometheus alert rules pass {@code promtool check rules} and their
 * unit tests ({@code promtool test rules}), {@code prometheus.yml} passes {@code promtool check config},
 * the Grafana provisioning and dashboard parse, and every metric the rules, their tests and the dashboard
 * query is one the services publish. The promtool checks are skipped when {@code /usr/bin/promtool} is
 * missing ({@code .ci/run} installs Debian's {@code prometheus} package, which has it).
 */
class MonitoringConfigTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Path AMTOOL = Path.of("/usr/bin/amtool");
    private static final Path MONITORING = Path.of("../config/monitoring");
    private static final Path RULES = MonitoringFiles.RULES;
    private static final Path RULE_TESTS = MONITORING.resolve("alert-rules.test.yml");
    private static final Path PROMETHEUS = MONITORING.resolve("prometheus.yml");
    private static final Path GRAFANA = MONITORING.resolve("grafana");
    private static final Path ALERT_PROCESSOR_RULES = Path.of("../config/alerts/rules.yaml");
    private static final Path DASHBOARD = MonitoringFiles.DASHBOARD;

    /** What {@code dev.toolformer.executor.ExecutorMeter} declares, as Prometheus names. */
    private static final Set<String> EXECUTOR_METERS = Set.of(
            "orchestrator_requests_total", "orchestrator_request_duration_seconds", "active_tool_executions",
            "api_costs_total", "toolformer_executor_retries_total", "toolformer_executor_dead_letters_total",
            "toolformer_executor_rejections_total",
            "toolformer_executor_in_flight", "toolformer_executor_max_in_flight",
            "toolformer_executor_paused_partitions", "toolformer_executor_control_commands_total");
    /** What {@code dev.toolformer.analytics.AnalyticsMeters} registers for the analytics service. */
    private static final Set<String> ANALYTICS_METERS = Set.of(AnalyticsMeters.CLAMPED,
            AnalyticsMeters.DROPPED);
    /** Micrometer timers and distribution summaries with histogram buckets. */
    private static final Set<String> HISTOGRAMS = Set.of("orchestrator_request_duration_seconds", "speculation_accuracy_ratio");
    /** The spec's other metrics, Micrometer's Kafka client and JVM binders, and Prometheus' own {@code up}. */
    private static final Set<String> OTHERS = Set.of("memory_usage_bytes", "memory_usage_ratio", "cpu_usage_percent",
            "kafka_consumer_fetch_manager_records_lag_max", "jvm_memory_used_bytes", "process_cpu_usage", "up",
            "resilience4j_circuitbreaker_state");
    /** Every series name a scrape of the services can contain that these files may use. */
    static final Set<String> PUBLISHED = published();

    private static final Map<String, String> SPEC_ALERTS = alerts();
    /** Alerts on the pipeline's own health, beyond the spec's: name to {@code for} duration, severity and team. */
    private static final Map<String, String> PIPELINE_ALERTS = Map.of("LateRecordsDropped", "0m warning platform");
    private static final Map<String, String> ALL_ALERTS = allAlerts();

    private static Set<String> published() {
        Set<String> names = new TreeSet<>(OTHERS);
        names.addAll(ANALYTICS_METERS);
        Stream.concat(EXECUTOR_METERS.stream(), HISTOGRAMS.stream()).forEach(name -> {
            if (HISTOGRAMS.contains(name)) {
                Stream.of("_bucket", "_count", "_sum", "_max").forEach(suffix -> names.add(name + suffix));
            } else {
                names.add(name);
            }
        });
        return names;
    }

    private static Map<String, String> allAlerts() {
        Map<String, String> all = new LinkedHashMap<>(SPEC_ALERTS);
        all.putAll(PIPELINE_ALERTS);
        return all;
    }

    /** The spec's five alerts: name to {@code for} duration, severity and team. */
    private static Map<String, String> alerts() {
        Map<String, String> alerts = new LinkedHashMap<>();
        alerts.put("HighErrorRate", "2m critical platform");
        alerts.put("HighLatency", "5m warning platform");
        alerts.put("HighMemoryUsage", "3m warning platform");
        // The spec's absolute memory rule, kept under its own name; HighMemoryUsage watches the heap ratio.
        alerts.put("HighMemoryUsageBytes", "3m warning platform");
        alerts.put("HighAPICosts", "0m warning product");
        alerts.put("ServiceDown", "1m critical platform");
        return alerts;
    }

    // ---- promtool ----------------------------------------------------------------------------------

    @Test
    void shouldPassPromtoolCheckRules() throws Exception {
        Result result = promtool("check", "rules", RULES.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + ALL_ALERTS.size() + " rules found");
    }

    @Test
    void shouldPassPromtoolTestRules() throws Exception {
        Result result = promtool("test", "rules", RULE_TESTS.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS").doesNotContain("FAILED");
    }

    @Test
    void shouldPassPromtoolCheckConfigIncludingItsRuleFile() throws Exception {
        Result result = promtool("check", "config", PROMETHEUS.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("is valid prometheus config file syntax")
                .contains("SUCCESS: 1 rule files found")
                .contains("SUCCESS: " + ALL_ALERTS.size() + " rules found");
    }

    @Test
    void shouldPassAmtoolCheckConfigAndBeWherePrometheusSendsItsAlerts() throws Exception {
        RequiredTools.require("apt-get install prometheus-alertmanager; .ci/run installs it", AMTOOL);
        Process process = new ProcessBuilder(AMTOOL.toString(), "check-config",
                MONITORING.resolve("alertmanager.yml").toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
        Map<String, Object> alerting = map(yaml(PROMETHEUS).get("alerting"));
        assertThat(alerting.toString()).contains("alertmanager:9093");
    }

    @Test
    void shouldParseEveryDashboardQueryAsPromQl(@TempDir Path dir) throws Exception {
        List<Map<String, Object>> rules = new ArrayList<>();
        List<String> exprs = dashboardExprs();
        for (int i = 0; i < exprs.size(); i++) {
            String expr = exprs.get(i).replace("$__rate_interval", "5m").replace("$__interval", "1m");
            rules.add(Map.of("record", "dashboard:query:" + i, "expr", expr));
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, new Yaml().dump(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));
        Result result = promtool("check", "rules", file.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + exprs.size() + " rules found");
    }

    // ---- alert rules and their tests ---------------------------------------------------------------

    @Test
    void shouldDeclareTheSpecsFiveAlertsWithTheirDurationsAndLabels() throws IOException {
        Map<String, String> declared = new LinkedHashMap<>();
        for (Map<String, Object> rule : alertRules()) {
            Map<String, Object> labels = map(rule.get("labels"));
            declared.put(String.valueOf(rule.get("alert")),
                    rule.get("for") + " " + labels.get("severity") + " " + labels.get("team"));
            assertThat(map(rule.get("annotations"))).as(rule.get("alert") + " annotations").containsKeys("summary", "description");
        }
        assertThat(declared).containsExactlyEntriesOf(ALL_ALERTS);
    }

    @Test
    void shouldKeepFiringForAsLongAsTheAlertProcessorsRulesOfTheSameName() throws IOException {
        Map<String, Duration> processor = new LinkedHashMap<>();
        AlertRules.load(ALERT_PROCESSOR_RULES).rules().forEach(r -> processor.put(r.name(), r.keepFiringFor()));
        Map<String, Duration> prometheus = new LinkedHashMap<>();
        for (Map<String, Object> rule : alertRules()) {
            Object keep = rule.getOrDefault("keep_firing_for", "0s");
            prometheus.put(String.valueOf(rule.get("alert")), Duration.parse("PT" + keep.toString().toUpperCase(Locale.ROOT)));
        }

        assertThat(prometheus).containsEntry("HighErrorRate", Duration.ofMinutes(2))
                .containsEntry("HighLatency", Duration.ofMinutes(5));
        prometheus.keySet().retainAll(SPEC_ALERTS.keySet());
        prometheus.forEach((alert, keep) -> assertThat(processor).as(alert).containsEntry(alert, keep));
    }

    @Test
    void shouldProveInTheRuleTestsThatEveryAlertFiresAndThatOneStaysQuietBelowItsThreshold() throws IOException {
        Map<String, Object> tests = yaml(RULE_TESTS);
        assertThat(strings(tests.get("rule_files"))).containsExactly(RULES.getFileName().toString());
        Set<String> fired = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (Object test : list(tests.get("tests"))) {
            for (Object check : list(map(test).get("alert_rule_test"))) {
                Map<String, Object> c = map(check);
                (list(c.get("exp_alerts")).isEmpty() ? quiet : fired).add(String.valueOf(c.get("alertname")));
            }
        }
        assertThat(fired).containsExactlyInAnyOrderElementsOf(ALL_ALERTS.keySet());
        assertThat(quiet).contains("HighErrorRate");
    }

    // ---- metric names ------------------------------------------------------------------------------

    @Test
    void shouldUseOnlyMetricsTheServicesPublish() throws IOException {
        Map<String, Set<String>> used = new LinkedHashMap<>();
        for (Map<String, Object> rule : alertRules()) {
            used.put("alert " + rule.get("alert"), metricNames(String.valueOf(rule.get("expr"))));
        }
        List<String> exprs = dashboardExprs();
        used.put("dashboard", exprs.stream().flatMap(e -> metricNames(e).stream()).collect(Collectors.toCollection(TreeSet::new)));
        Set<String> series = new TreeSet<>();
        for (Object test : list(yaml(RULE_TESTS).get("tests"))) {
            for (Object input : list(map(test).get("input_series"))) {
                String s = String.valueOf(map(input).get("series"));
                series.add(s.contains("{") ? s.substring(0, s.indexOf('{')) : s);
            }
        }
        used.put("rule tests", series);
        used.forEach((where, names) -> assertThat(names).as(where).isNotEmpty().isSubsetOf(PUBLISHED));
        assertThat(used.get("dashboard")).as("the dashboard shows requests, latency, in-flight, cost, speculation, lag, memory")
                .contains("orchestrator_requests_total", "orchestrator_request_duration_seconds_bucket",
                        "active_tool_executions", "api_costs_total", "speculation_accuracy_ratio_bucket",
                        "kafka_consumer_fetch_manager_records_lag_max", "jvm_memory_used_bytes");
    }

    @Test
    void shouldFindMetricNamesInPromQl() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (method, provider, le) "
                + "(rate(orchestrator_request_duration_seconds_bucket{job=~\"a|b\", le!=\"1e3\"}[5m]))) > 2"))
                .containsExactly("orchestrator_request_duration_seconds_bucket");
        assertThat(metricNames("sum(rate(a_total{status=~\"error|timeout\"}[$__rate_interval])) / on (job) group_left "
                + "sum without (instance) (b_total offset 5m) > bool 1.5e3 and memory_usage_bytes / 1024"))
                .containsExactly("a_total", "b_total", "memory_usage_bytes");
    }

    @Test
    void shouldHardCodeWhatTheExecutorReallyDeclares() throws ReflectiveOperationException {
        Class<?> meters = Class.forName("dev.toolformer.executor.ExecutorMeter");
        Method meterName = meters.getDeclaredMethod("meterName");
        meterName.setAccessible(true);
        Set<String> declared = new TreeSet<>();
        for (Object meter : meters.getEnumConstants()) {
            declared.add((String) meterName.invoke(meter));
        }
        assertThat(declared).as("ExecutorMeter names (update EXECUTOR_METERS, the rules and the dashboard)")
                .containsAll(EXECUTOR_METERS);
    }

    // ---- Grafana -----------------------------------------------------------------------------------

    @Test
    void shouldProvisionPrometheusAndJaegerAndTheDashboardsDirectory() throws IOException {
        Map<String, Map<String, Object>> sources = new LinkedHashMap<>();
        for (Object source : list(yaml(GRAFANA.resolve("provisioning/datasources/datasources.yml")).get("datasources"))) {
            sources.put(String.valueOf(map(source).get("type")), map(source));
        }
        assertThat(sources).containsKeys("prometheus", "jaeger");
        assertThat(sources.get("prometheus")).containsEntry("url", "http://prometheus:9090").containsEntry("uid", "prometheus");
        assertThat(sources.get("jaeger")).containsEntry("url", "http://jaeger:16686");

        List<Object> providers = list(yaml(GRAFANA.resolve("provisioning/dashboards/dashboards.yml")).get("providers"));
        assertThat(providers).hasSize(1);
        assertThat(map(map(providers.getFirst()).get("options")).get("path")).isEqualTo("/etc/grafana/dashboards");

        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(8);
        Set<String> ids = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asText())).as("unique panel id of " + title).isTrue();
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo("prometheus");
            assertThat(panel.path("targets").size()).as(title + " queries").isPositive();
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("expr").asText()).as(title).isNotBlank();
                assertThat(target.path("datasource").path("uid").asText()).as(title).isEqualTo("prometheus");
            }
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private record Result(int exitCode, String output) { }

    private static Result promtool(String... args) throws IOException, InterruptedException {
        RequiredTools.require("apt-get install prometheus; .ci/run installs it", PROMTOOL);
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Result(process.exitValue(), output);
    }

    private static List<String> strings(Object value) {
        return list(value).stream().map(String::valueOf).toList();
    }
}
