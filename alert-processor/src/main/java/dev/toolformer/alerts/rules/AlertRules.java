package dev.toolformer.alerts.rules;

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
import java.util.function.UnaryOperator;

/**
 * The alerting configuration of one alert processor, read from a YAML rules file
 * ({@code config/alerts/rules.yaml} documents every key):
 * <pre>
 * rules:                              # alert rules, required
 *   - name: HighErrorRate
 *     source: toolformer.slo          # optional, default toolformer.slo
 *     expr: {field: error_rate, op: "&gt;", threshold: 0.01}
 *     for: 2m                         # optional, default 0: fire at once
 *     keep_firing_for: 2m             # optional, default 0: resolve as soon as expr stops holding
 *     min_requests: 10                # optional, default 10 on toolformer.slo, else 0: windows with fewer calls are ignored
 *     severity: critical
 *     match: {tool: "*", provider: "*"}
 *     labels: {team: platform}
 *     annotations: {summary: "Error rate {{value}} above {{threshold}} for {{tool}}"}
 * inhibit: [...]                      # optional: alerts that mute others
 * route: {group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h}
 * receivers: [...]                    # optional: webhook receivers
 * incidents: [...]                    # optional: incident rules (alert → actions)
 * </pre>
 * A bad file fails with a message naming the file, line, rule and key. {@code ${VAR}} and
 * {@code ${VAR:-default}} in webhook URLs are replaced from the environment.
 */
public final class AlertRules {
    /** The classpath resource of {@link #defaults()}, a copy of {@code config/alerts/rules.yaml}. */
    public static final String DEFAULT_RESOURCE = "alerts/rules.yaml";

    private final List<AlertRule> rules;
    private final IncidentPolicy incidents;

    private AlertRules(List<AlertRule> rules, IncidentPolicy incidents) {
        this.rules = List.copyOf(rules);
        this.incidents = Objects.requireNonNull(incidents, "incidents == null");
        Set<String> names = new HashSet<>();
        for (AlertRule rule : this.rules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("alert rule '" + rule.name() + "': key 'name' is \"" + rule.name()
                        + "\": expected a name used by one rule only");
            }
        }
    }

    public static AlertRules of(List<AlertRule> rules) {
        return new AlertRules(Objects.requireNonNull(rules, "rules == null"), IncidentPolicy.none());
    }

    public static AlertRules of(AlertRule... rules) {
        return of(List.of(rules));
    }

    /** These rules with another incident policy. */
    public AlertRules withIncidents(IncidentPolicy policy) {
        return new AlertRules(rules, policy);
    }

    /** The bundled {@code config/alerts/rules.yaml}: the spec's rules, burn-rate pairs and incident rules. */
    public static AlertRules defaults() {
        try (InputStream in = AlertRules.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("classpath resource " + DEFAULT_RESOURCE + " is missing");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), "classpath:" + DEFAULT_RESOURCE,
                    System::getenv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read classpath resource " + DEFAULT_RESOURCE, e);
        }
    }

    /** Reads a rules file; errors name the file, line, rule and key. */
    public static AlertRules load(Path file) {
        Objects.requireNonNull(file, "file == null");
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(reader, file.toString(), System::getenv);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read alert rules: " + e.getMessage(), e);
        }
    }

    /** Reads rules from YAML text; {@code origin} names it in error messages. */
    public static AlertRules parse(String yaml, String origin) {
        return parse(yaml, origin, System::getenv);
    }

    /** Reads rules from YAML text, taking {@code ${VAR}} values from {@code env}. */
    public static AlertRules parse(String yaml, String origin, UnaryOperator<String> env) {
        return parse(new StringReader(Objects.requireNonNull(yaml, "yaml == null")), origin, env);
    }

    private static AlertRules parse(Reader reader, String origin, UnaryOperator<String> env) {
        RulesYaml.Parsed parsed = RulesYaml.read(reader, Objects.requireNonNull(origin, "origin == null"),
                Objects.requireNonNull(env, "env == null"));
        return new AlertRules(parsed.rules(), parsed.policy());
    }

    public List<AlertRule> rules() {
        return rules;
    }

    /** Inhibition, grouping, receivers and incident rules. */
    public IncidentPolicy incidents() {
        return incidents;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlertRules other && rules.equals(other.rules) && incidents.equals(other.incidents);
    }

    @Override
    public int hashCode() {
        return rules.hashCode() * 31 + incidents.hashCode();
    }

    @Override
    public String toString() {
        return "AlertRules" + rules.stream().map(AlertRule::name).toList();
    }
}
