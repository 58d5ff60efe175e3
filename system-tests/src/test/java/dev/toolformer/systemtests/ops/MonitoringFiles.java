package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Reads {@code config/monitoring/}: the Prometheus alert rules, the Grafana dashboard's queries, and the metric
 * names a PromQL expression selects. Paths are relative to a module directory (where Maven runs the tests).
 */
public final class MonitoringFiles {
    public static final Path MONITORING = Path.of("../config/monitoring");
    public static final Path RULES = MONITORING.resolve("alert-rules.yml");
    public static final Path DASHBOARD = MONITORING.resolve("grafana/dashboards/toolformer.json");
    private static final Set<String> PROMQL_KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][\\w:]*)(\\s*\\()?");

    private MonitoringFiles() {
    }

    /** Every metric name the alert rules and the dashboard's queries select, sorted. */
    public static Set<String> usedMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Map<String, Object> rule : alertRules()) {
            names.addAll(metricNames(String.valueOf(rule.get("expr"))));
        }
        dashboardExprs().forEach(expr -> names.addAll(metricNames(expr)));
        return names;
    }

    /**
     * Metric names an expression selects: identifiers outside strings, matchers, ranges and grouping clauses that
     * are not functions or keywords.
     */
    public static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("'(?:[^'\\\\]|\\\\.)*'", "''")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !PROMQL_KEYWORDS.contains(m.group(1).toLowerCase(Locale.ROOT))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    public static List<String> dashboardExprs() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        assertThat(exprs).isNotEmpty();
        return exprs;
    }

    public static List<Map<String, Object>> alertRules() throws IOException {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Object group : list(yaml(RULES).get("groups"))) {
            list(map(group).get("rules")).forEach(rule -> rules.add(map(rule)));
        }
        return rules;
    }

    public static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            return new Yaml(new LoaderOptions()).load(in);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    public static List<Object> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return new ArrayList<>((List<?>) value);
    }

}
