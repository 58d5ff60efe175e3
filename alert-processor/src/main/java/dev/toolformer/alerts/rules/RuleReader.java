package dev.toolformer.alerts.rules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.topic.Topics;

/** Turns one rule mapping of a rules file into an {@link AlertRule}, or an error naming rule, key and line. */
final class RuleReader extends MappingReader {
    static final List<String> KEYS = List.of("name", "source", "expr", "for", "keep_firing_for", "min_requests",
            "severity", "match", "labels", "annotations");
    private static final Set<String> CONDITION_KEYS = Set.of("field", "op", "threshold", "value");
    private static final Set<String> BURN_KEYS = Set.of("long", "short", "factor");
    private static final String EXPR_FORMS = "{field, op, threshold}, {field, op: ==, value}, {all: [...]},"
            + " {burn_rate: {long, short, factor}} or {absent: DURATION}";
    private static final String OPS = Expr.Comparator.symbols() + ", ==, !=";

    RuleReader(String origin, int index, int line, Map<String, Integer> keyLines, ObjectNode body) {
        super(origin, "rules[" + index + "]", line, keyLines, body, "alert rule");
    }

    AlertRule read() {
        JsonNode name = body.get("name");
        named(name != null && name.isTextual() ? name.asText() : null);
        rejectUnknownKeys(body, "", KEYS);
        String ruleName = text("name", "the rule's name, e.g. HighErrorRate");
        JsonNode sourceNode = optional("source");
        String source = sourceNode == null ? Topics.SLO.baseName() : sourceNode.asText("");
        if (Source.ofTopic(source).isEmpty()) {
            throw fail("source", sourceNode, "one of " + Source.topicNames());
        }
        Expr expr = expr();
        try {
            return new AlertRule(ruleName, source, expr, duration("for", Duration.ZERO),
                    duration("keep_firing_for", Duration.ZERO), minRequests(source, expr),
                    text("severity", "a severity such as critical or warning"), strings("match"), strings("labels"),
                    strings("annotations"));
        } catch (AlertRule.InvalidRuleException e) {
            throw located(e.key(), e);
        }
    }

    /** The key's value, or the source's default; the range is checked by {@link AlertRule}. */
    private long minRequests(String source, Expr expr) {
        JsonNode node = optional("min_requests");
        if (node == null) {
            return AlertRule.defaultMinRequests(source, expr);
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw fail("min_requests", node, "a whole number >= 0");
        }
        return node.longValue();
    }

    private Expr expr() {
        JsonNode node = required("expr", EXPR_FORMS);
        if (!(node instanceof ObjectNode expr)) {
            throw fail("expr", node, EXPR_FORMS);
        }
        if (expr.has("all")) {
            rejectUnknownKeys(expr, "expr.", List.of("all"));
            JsonNode all = expr.get("all");
            if (!all.isArray() || all.isEmpty()) {
                throw fail("expr.all", all, "a non-empty list of {field, op, threshold} conditions");
            }
            List<Expr> conditions = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                conditions.add(condition(all.get(i), "expr.all[" + i + "]"));
            }
            return new Expr.All(conditions);
        }
        if (expr.has("burn_rate")) {
            rejectUnknownKeys(expr, "expr.", List.of("burn_rate"));
            JsonNode burn = expr.get("burn_rate");
            if (!(burn instanceof ObjectNode burnRate)) {
                throw fail("expr.burn_rate", burn, "a mapping {long, short, factor}");
            }
            rejectUnknownKeys(burnRate, "expr.burn_rate.", BURN_KEYS);
            return new Expr.BurnRatePair(duration("expr.burn_rate.long", required("expr.burn_rate.long", "a duration")),
                    duration("expr.burn_rate.short", required("expr.burn_rate.short", "a duration")),
                    number("expr.burn_rate.factor", "a number such as 14.4"));
        }
        if (expr.has("absent")) {
            rejectUnknownKeys(expr, "expr.", List.of("absent"));
            return new Expr.Absent(duration("expr.absent", expr.get("absent")));
        }
        return condition(expr, "expr");
    }

    private Expr condition(JsonNode node, String path) {
        if (!(node instanceof ObjectNode condition)) {
            throw fail(path, node, "a mapping {field, op, threshold}");
        }
        rejectUnknownKeys(condition, path + ".", CONDITION_KEYS);
        JsonNode field = condition.get("field");
        if (field == null || !field.isTextual() || field.asText().isBlank()) {
            throw fail(path + ".field", field, "a field name");
        }
        JsonNode op = condition.get("op");
        String symbol = op != null && op.isTextual() ? op.asText() : "";
        if (symbol.equals("==") || symbol.equals("!=")) {
            JsonNode value = condition.get("value");
            if (value == null || !value.isValueNode() || value.isNull()) {
                throw fail(path + ".value", value, "the text or enum symbol to compare with, e.g. DOWN");
            }
            return new Expr.Equals(field.asText(), value.asText(), symbol.equals("!="));
        }
        Expr.Comparator comparator = Expr.Comparator.ofSymbol(symbol)
                .orElseThrow(() -> fail(path + ".op", op, "one of " + OPS));
        JsonNode threshold = condition.get("threshold");
        if (threshold == null || !threshold.isNumber()) {
            throw fail(path + ".threshold", threshold, "a number");
        }
        return new Expr.Threshold(field.asText(), comparator, threshold.doubleValue());
    }
}
