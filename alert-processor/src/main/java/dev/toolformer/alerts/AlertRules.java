package dev.toolformer.alerts;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The alert rules of one alert processor, read from a YAML rules file:
 * <pre>
 * rules:
 *   - name: HighErrorRate
 *     source: toolformer.slo          # optional; the only source so far
 *     expr: {field: error_rate, op: "&gt;", threshold: 0.01}
 *     for: 2m                         # optional, default 0: fire at once
 *     severity: critical
 *     match: {tool: "*", provider: "*"}
 *     annotations: {summary: "Error rate {{value}} above {{threshold}} for {{tool}}"}
 * </pre>
 * A bad file fails with a message naming the file, line, rule and key.
 */
public final class AlertRules {
    /** The classpath resource of {@link #defaults()}. */
    public static final String DEFAULT_RESOURCE = "alert-rules.yaml";

    private final List<AlertRule> rules;

    private AlertRules(List<AlertRule> rules) {
        this.rules = List.copyOf(rules);
        Set<String> names = new HashSet<>();
        for (AlertRule rule : this.rules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("alert rule '" + rule.name() + "': key 'name' is \"" + rule.name()
                        + "\": expected a name used by one rule only");
            }
        }
    }

    public static AlertRules of(List<AlertRule> rules) {
        return new AlertRules(Objects.requireNonNull(rules, "rules == null"));
    }

    public static AlertRules of(AlertRule... rules) {
        return of(List.of(rules));
    }

    /** The spec's HighErrorRate and HighLatency rules on the global window, from {@value #DEFAULT_RESOURCE}. */
    public static AlertRules defaults() {
        try (InputStream in = AlertRules.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("classpath resource " + DEFAULT_RESOURCE + " is missing");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), "classpath:" + DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read classpath resource " + DEFAULT_RESOURCE, e);
        }
    }

    /** Reads a rules file; errors name the file, line, rule and key. */
    public static AlertRules load(Path file) {
        Objects.requireNonNull(file, "file == null");
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(reader, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read alert rules: " + e.getMessage(), e);
        }
    }

    /** Reads rules from YAML text; {@code origin} names it in error messages. */
    public static AlertRules parse(String yaml, String origin) {
        return parse(new StringReader(Objects.requireNonNull(yaml, "yaml == null")), origin);
    }

    private static AlertRules parse(Reader reader, String origin) {
        return new AlertRules(RulesYaml.read(reader, Objects.requireNonNull(origin, "origin == null")));
    }

    public List<AlertRule> rules() {
        return rules;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlertRules other && rules.equals(other.rules);
    }

    @Override
    public int hashCode() {
        return rules.hashCode();
    }

    @Override
    public String toString() {
        return "AlertRules" + rules.stream().map(AlertRule::name).toList();
    }
}
