package dev.toolformer.alerts;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.toolformer.schema.SloWindow;
import org.apache.avro.Schema;

/**
 * One alert rule over {@code toolformer.slo}: when {@code field comparator threshold} has held on the
 * windows of a label set for {@code forDuration}, the alert fires. Validation messages name keys as
 * they are spelled in the rules file ({@code expr.field}, {@code for}, {@code match}, ...).
 *
 * @param name        the alert name, also the {@code alertname} label
 * @param field       a numeric {@link SloWindow} field, one of {@link #FIELDS}
 * @param comparator  how the field's value is compared with the threshold
 * @param threshold   a finite number, in the field's unit
 * @param forDuration how long the condition must hold before the alert fires; zero fires at once
 * @param severity    the severity label, e.g. "critical" or "warning"
 * @param matchers    label → required value, labels from {@link #LABELS}; "*" matches the windows over all
 *                    tools or all providers
 * @param annotations name → template; placeholders from {@link #PLACEHOLDERS}
 */
public record AlertRule(String name, String field, Comparator comparator, double threshold, Duration forDuration,
                        String severity, Map<String, String> matchers, Map<String, String> annotations) {

    /** The labels a window carries and a rule can match on. */
    public static final Set<String> LABELS = Collections.unmodifiableSet(new TreeSet<>(List.of("tool", "provider")));

    /** The numeric fields of {@link SloWindow} a rule can test, read from its schema. */
    public static final Set<String> FIELDS = numericFields(SloWindow.getClassSchema());

    /** The placeholders annotation templates may use, as {@code {{name}}}. */
    public static final List<String> PLACEHOLDERS = List.of("tool", "provider", "value", "threshold");

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^}]*?)\\s*}}");

    /** How a value is compared with the threshold. */
    public enum Comparator {
        /** value &gt; threshold */
        GT(">"),
        /** value &gt;= threshold */
        GTE(">="),
        /** value &lt; threshold */
        LT("<"),
        /** value &lt;= threshold */
        LTE("<=");

        private final String symbol;

        Comparator(String symbol) {
            this.symbol = symbol;
        }

        /** The operator as written in the rules file, e.g. {@code ">"}. */
        public String symbol() {
            return symbol;
        }

        /** False for NaN, so a window without data never satisfies a rule. */
        public boolean test(double value, double threshold) {
            return switch (this) {
                case GT -> value > threshold;
                case GTE -> value >= threshold;
                case LT -> value < threshold;
                case LTE -> value <= threshold;
            };
        }

        public static Optional<Comparator> ofSymbol(String symbol) {
            return Arrays.stream(values()).filter(c -> c.symbol.equals(symbol)).findFirst();
        }

        /** {@code ">, >=, <, <="}, for error messages. */
        static String symbols() {
            return Arrays.stream(values()).map(Comparator::symbol).collect(Collectors.joining(", "));
        }
    }

    public AlertRule {
        Objects.requireNonNull(name, "name == null");
        if (!NAME.matcher(name).matches()) {
            throw invalid(name, "name", quote(name), "letters, digits and _, not starting with a digit");
        }
        Objects.requireNonNull(field, "field == null");
        if (!FIELDS.contains(field)) {
            throw invalid(name, "expr.field", quote(field), "a numeric SloWindow field, one of " + FIELDS);
        }
        Objects.requireNonNull(comparator, "comparator == null");
        if (!Double.isFinite(threshold)) {
            throw invalid(name, "expr.threshold", String.valueOf(threshold), "a finite number");
        }
        Objects.requireNonNull(forDuration, "forDuration == null");
        if (forDuration.isNegative()) {
            throw invalid(name, "for", forDuration.toString(), "a duration >= 0");
        }
        Objects.requireNonNull(severity, "severity == null");
        if (severity.isBlank()) {
            throw invalid(name, "severity", quote(severity), "a severity such as critical or warning");
        }
        matchers = validMatchers(name, Objects.requireNonNull(matchers, "matchers == null"));
        annotations = validAnnotations(name, Objects.requireNonNull(annotations, "annotations == null"));
    }

    /** True if every matcher's label has exactly the required value in {@code labels}. */
    public boolean matches(Map<String, String> labels) {
        return matchers.entrySet().stream().allMatch(m -> m.getValue().equals(labels.get(m.getKey())));
    }

    /** The rule name followed by the sorted labels, e.g. {@code HighErrorRate{provider=*,tool=*}}. */
    public String fingerprint(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", name + "{", "}"));
    }

    double valueOf(SloWindow window) {
        return ((Number) window.get(field)).doubleValue();
    }

    boolean holds(double value) {
        return comparator.test(value, threshold);
    }

    /** The annotations with their placeholders filled in from the window's labels and value. */
    Map<String, String> render(Map<String, String> labels, double value) {
        Map<String, String> values = Map.of(
                "tool", labels.getOrDefault("tool", ""), "provider", labels.getOrDefault("provider", ""),
                "value", format(value), "threshold", format(threshold));
        Map<String, String> rendered = new LinkedHashMap<>();
        annotations.forEach((key, template) -> rendered.put(key,
                PLACEHOLDER.matcher(template).replaceAll(m -> Matcher.quoteReplacement(values.get(m.group(1))))));
        return rendered;
    }

    /** Six significant digits without trailing zeros: 0.05, 2000, 0.333333. */
    static String format(double value) {
        if (!Double.isFinite(value)) {
            return String.valueOf(value);
        }
        return BigDecimal.valueOf(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static Map<String, String> validMatchers(String rule, Map<String, String> matchers) {
        Map<String, String> copy = new TreeMap<>();
        matchers.forEach((label, value) -> {
            if (label == null || !LABELS.contains(label)) {
                throw invalid(rule, "match", quote(label), "a label, one of " + LABELS);
            }
            if (value == null || value.isBlank()) {
                throw invalid(rule, "match." + label, quote(value), "a label value, or \"*\" for all");
            }
            copy.put(label, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static Map<String, String> validAnnotations(String rule, Map<String, String> annotations) {
        Map<String, String> copy = new TreeMap<>();
        annotations.forEach((key, template) -> {
            if (key == null || key.isBlank()) {
                throw invalid(rule, "annotations", quote(key), "an annotation name such as summary");
            }
            if (template == null) {
                throw invalid(rule, "annotations." + key, "null", "a text template");
            }
            Matcher m = PLACEHOLDER.matcher(template);
            while (m.find()) {
                if (!PLACEHOLDERS.contains(m.group(1))) {
                    throw invalid(rule, "annotations." + key, quote(template), "placeholders among "
                            + PLACEHOLDERS.stream().map(p -> "{{" + p + "}}").collect(Collectors.joining(", "))
                            + ", not " + m.group());
                }
            }
            copy.put(key, template);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static Set<String> numericFields(Schema schema) {
        Set<String> fields = schema.getFields().stream()
                .filter(f -> f.schema().getLogicalType() == null)
                .filter(f -> f.schema().getType() == Schema.Type.DOUBLE || f.schema().getType() == Schema.Type.LONG)
                .map(Schema.Field::name)
                .collect(Collectors.toCollection(TreeSet::new));
        return Collections.unmodifiableSet(fields);
    }

    static String quote(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    private static InvalidRuleException invalid(String rule, String key, String value, String expected) {
        return new InvalidRuleException(key,
                "alert rule '" + rule + "': key '" + key + "' is " + value + ": expected " + expected);
    }

    /** A rule value out of range; {@link #key()} is the key as spelled in the rules file. */
    static final class InvalidRuleException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String key;

        InvalidRuleException(String key, String message) {
            super(message);
            this.key = key;
        }

        String key() {
            return key;
        }
    }
}
