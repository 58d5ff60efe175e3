package dev.toolformer.alerts.rules;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.toolformer.common.topic.Topics;
import org.apache.avro.specific.SpecificRecord;

/**
 * One alert rule over an aggregate topic: when {@code expr} has held on the records of one series (label
 * set) for {@code forDuration}, the alert fires. Validation messages name keys as they are spelled in the
 * rules file ({@code expr.field}, {@code for}, {@code match}, ...).
 *
 * @param name          the alert name, also the {@code alertname} label
 * @param source        the topic the rule reads, e.g. {@code toolformer.slo}
 * @param expr          the condition
 * @param forDuration   how long the condition must hold before the alert fires; zero fires at once
 * @param keepFiringFor how long a firing alert stays firing once the condition stops holding (Prometheus'
 *                      {@code keep_firing_for}); zero resolves at once
 * @param minRequests   records whose {@code requests} field is below this are ignored by the rule; zero
 *                      evaluates every record
 * @param severity      the severity label, e.g. "critical", "page" or "ticket"
 * @param matchers      series label → required value; for {@code toolformer.slo}, "*" is the all-tools or
 *                      all-providers window
 * @param labels        extra static labels every alert of the rule carries, e.g. {@code team: platform}
 * @param annotations   name → template; placeholders are {@code {{value}}}, {@code {{threshold}}} and labels
 */
public record AlertRule(String name, String source, Expr expr, Duration forDuration, Duration keepFiringFor,
                        long minRequests, String severity, Map<String, String> matchers, Map<String, String> labels,
                        Map<String, String> annotations) {
    /**
     * The default {@code min_requests} of a rule on {@code toolformer.slo}: the first updates of a new
     * one-minute window count a handful of calls, too few to fire or resolve on.
     */
    public static final long DEFAULT_SLO_MIN_REQUESTS = 10;
    /** The field {@code min_requests} applies to. */
    static final String REQUESTS = "requests";

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^}]*?)\\s*}}");
    private static final Set<String> RESERVED = Set.of("alertname", "severity");

    public AlertRule {
        Objects.requireNonNull(name, "name == null");
        if (!NAME.matcher(name).matches()) {
            throw invalid(name, "name", quote(name), "letters, digits and _, not starting with a digit");
        }
        Objects.requireNonNull(source, "source == null");
        Source from = Source.ofTopic(source)
                .orElseThrow(() -> invalid(name, "source", quote(source), "one of " + Source.topicNames()));
        Objects.requireNonNull(expr, "expr == null");
        validExpr(name, from, expr, "expr");
        Objects.requireNonNull(forDuration, "forDuration == null");
        if (forDuration.isNegative() || expr instanceof Expr.Absent && !forDuration.isZero()) {
            throw invalid(name, "for", forDuration.toString(), expr instanceof Expr.Absent
                    ? "0 for an absent rule: expr.absent is the duration" : "a duration >= 0");
        }
        Objects.requireNonNull(keepFiringFor, "keepFiringFor == null");
        if (keepFiringFor.isNegative() || expr instanceof Expr.Absent && !keepFiringFor.isZero()) {
            throw invalid(name, "keep_firing_for", keepFiringFor.toString(), expr instanceof Expr.Absent
                    ? "0 for an absent rule: it resolves on the next record" : "a duration >= 0");
        }
        validMinRequests(name, from, minRequests);
        Objects.requireNonNull(severity, "severity == null");
        if (severity.isBlank()) {
            throw invalid(name, "severity", quote(severity), "a severity such as critical or warning");
        }
        matchers = validMatchers(name, from, Objects.requireNonNull(matchers, "matchers == null"));
        labels = validLabels(name, from, Objects.requireNonNull(labels, "labels == null"));
        annotations = validAnnotations(name, placeholders(from, labels),
                Objects.requireNonNull(annotations, "annotations == null"));
    }

    /** A rule with the default keep_firing_for (0) and min_requests ({@link #defaultMinRequests}). */
    public AlertRule(String name, String source, Expr expr, Duration forDuration, String severity,
                     Map<String, String> matchers, Map<String, String> labels, Map<String, String> annotations) {
        this(name, source, expr, forDuration, Duration.ZERO, defaultMinRequests(source, expr), severity, matchers,
                labels, annotations);
    }

    /** A threshold rule over {@code toolformer.slo} without extra labels; keep_firing_for and min_requests default. */
    public AlertRule(String name, String field, Expr.Comparator comparator, double threshold, Duration forDuration,
                     String severity, Map<String, String> matchers, Map<String, String> annotations) {
        this(name, Topics.SLO.baseName(), new Expr.Threshold(field, comparator, threshold), forDuration, severity,
                matchers, Map.of(), annotations);
    }

    /**
     * {@link #DEFAULT_SLO_MIN_REQUESTS} for a rule on {@code toolformer.slo}, else 0. Absent rules get 0 too:
     * for them any record is data, and a quiet series is not a missing one.
     */
    public static long defaultMinRequests(String source, Expr expr) {
        return Topics.SLO.baseName().equals(source) && !(expr instanceof Expr.Absent) ? DEFAULT_SLO_MIN_REQUESTS : 0;
    }

    /** True if the rule evaluates {@code record}: its {@code requests} field is at least {@link #minRequests()}. */
    public boolean counts(SpecificRecord record) {
        if (minRequests == 0) {
            return true;
        }
        Object requests = record.get(record.getSchema().getField(REQUESTS).pos());
        return requests instanceof Number n && n.longValue() >= minRequests;
    }

    /** True if every matcher's label has exactly the required value in {@code series}. */
    public boolean matches(Map<String, String> series) {
        return matchers.entrySet().stream().allMatch(m -> m.getValue().equals(series.get(m.getKey())));
    }

    /** The rule name followed by the sorted series labels, e.g. {@code HighErrorRate{provider=*,tool=*}}. */
    public String fingerprint(Map<String, String> series) {
        return new TreeMap<>(series).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", name + "{", "}"));
    }

    public Source sourceKind() {
        return Source.ofTopic(source).orElseThrow();
    }

    /** The labels of an alert of this rule on a series: series labels, static labels, alertname, severity. */
    public Map<String, String> alertLabels(Map<String, String> series) {
        Map<String, String> all = new TreeMap<>(series);
        all.putAll(labels);
        all.put("alertname", name);
        all.put("severity", severity);
        return all;
    }

    /** The annotations with their placeholders filled in from the alert's labels and value. */
    public Map<String, String> render(Map<String, String> series, double value) {
        Map<String, String> values = new TreeMap<>(alertLabels(series));
        values.put("value", format(value));
        values.put("threshold", format(expr.threshold()));
        Map<String, String> rendered = new LinkedHashMap<>();
        annotations.forEach((key, template) -> rendered.put(key, PLACEHOLDER.matcher(template)
                .replaceAll(m -> Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")))));
        return rendered;
    }

    /** Six significant digits without trailing zeros: 0.05, 2000, 0.333333. */
    public static String format(double value) {
        if (!Double.isFinite(value)) {
            return String.valueOf(value);
        }
        return BigDecimal.valueOf(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static void validExpr(String rule, Source source, Expr expr, String key) {
        switch (expr) {
            case Expr.Threshold t -> {
                if (!source.numericFields().contains(t.field())) {
                    throw invalid(rule, key + ".field", quote(t.field()), "a numeric field of "
                            + source.topic().baseName()
                            + ", one of " + source.numericFields());
                }
                if (!Double.isFinite(t.threshold())) {
                    throw invalid(rule, key + ".threshold", String.valueOf(t.threshold()), "a finite number");
                }
            }
            case Expr.Equals e -> {
                if (!source.symbolFields().contains(e.field())) {
                    throw invalid(rule, key + ".field", quote(e.field()), "a text or enum field of "
                            + source.topic().baseName() + " for == and !=, one of " + source.symbolFields());
                }
            }
            case Expr.All all -> {
                for (int i = 0; i < all.conditions().size(); i++) {
                    Expr c = all.conditions().get(i);
                    if (c instanceof Expr.BurnRatePair || c instanceof Expr.Absent || c instanceof Expr.All) {
                        throw invalid(rule, "expr.all[" + i + "]", c.getClass().getSimpleName(),
                                "a {field, op, threshold} condition");
                    }
                    validExpr(rule, source, c, "expr.all[" + i + "]");
                }
            }
            case Expr.BurnRatePair pair -> {
                if (source != Source.BURN_RATES) {
                    throw invalid(rule, "expr.burn_rate", "used on " + source.topic().baseName(), "source \""
                            + Topics.BURN_RATES.baseName() + "\"");
                }
                if (!(pair.factor() > 0) || !Double.isFinite(pair.factor())
                        || !pair.shortWindow().isPositive() || pair.longWindow().compareTo(pair.shortWindow()) <= 0) {
                    throw invalid(rule, "expr.burn_rate", pair.longWindow() + "/" + pair.shortWindow() + " x"
                            + pair.factor(), "a factor > 0 and a long window longer than a positive short window");
                }
            }
            case Expr.Absent absent -> {
                if (!absent.duration().isPositive()) {
                    throw invalid(rule, "expr.absent", absent.duration().toString(), "a duration > 0");
                }
            }
        }
    }

    private static void validMinRequests(String rule, Source source, long minRequests) {
        if (minRequests < 0) {
            throw invalid(rule, "min_requests", String.valueOf(minRequests), "a whole number >= 0");
        }
        if (minRequests > 0 && !source.numericFields().contains(REQUESTS)) {
            throw invalid(rule, "min_requests", String.valueOf(minRequests), "0 on " + source.topic().baseName()
                    + ", whose records have no numeric requests field; it applies to "
                    + Source.withNumericField(REQUESTS));
        }
    }

    private static Map<String, String> validMatchers(String rule, Source source, Map<String, String> matchers) {
        Map<String, String> copy = new TreeMap<>();
        matchers.forEach((label, value) -> {
            if (label == null || !source.labelNames().contains(label)) {
                throw invalid(rule, "match", quote(label), "a label of " + source.topic().baseName() + ", one of "
                        + source.labelNames());
            }
            if (value == null || value.isBlank()) {
                throw invalid(rule, "match." + label, quote(value), "a label value");
            }
            copy.put(label, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static Map<String, String> validLabels(String rule, Source source, Map<String, String> labels) {
        Map<String, String> copy = new TreeMap<>();
        labels.forEach((label, value) -> {
            if (label == null || !NAME.matcher(label).matches() || RESERVED.contains(label)
                    || source.labelNames().contains(label)) {
                throw invalid(rule, "labels", quote(label), "a label name other than alertname, severity and "
                        + source.labelNames());
            }
            if (value == null) {
                throw invalid(rule, "labels." + label, "null", "a text");
            }
            copy.put(label, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static List<String> placeholders(Source source, Map<String, String> labels) {
        List<String> names = new ArrayList<>(List.of("value", "threshold", "alertname", "severity"));
        names.addAll(source.labelNames());
        names.addAll(labels.keySet());
        return names;
    }

    private static Map<String, String> validAnnotations(String rule, List<String> placeholders,
                                                        Map<String, String> annotations) {
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
                if (!placeholders.contains(m.group(1))) {
                    throw invalid(rule, "annotations." + key, quote(template), "placeholders among "
                            + placeholders.stream().map(p -> "{{" + p + "}}").collect(Collectors.joining(", "))
                            + ", not " + m.group());
                }
            }
            copy.put(key, template);
        });
        return Collections.unmodifiableMap(copy);
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
