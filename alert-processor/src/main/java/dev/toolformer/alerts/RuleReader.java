package dev.toolformer.alerts;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.topic.Topics;

/** Turns one rule mapping of a rules file into an {@link AlertRule}, or an error naming rule, key and line. */
final class RuleReader {
    static final List<String> KEYS = List.of("name", "source", "expr", "for", "severity", "match", "annotations");
    private static final Set<String> EXPR_KEYS = Set.of("field", "op", "threshold");

    private final String origin;
    private final int index;
    private final int line;
    private final Map<String, Integer> keyLines;
    private final ObjectNode body;
    private String rule;

    RuleReader(String origin, int index, int line, Map<String, Integer> keyLines, ObjectNode body) {
        this.origin = origin;
        this.index = index;
        this.line = line;
        this.keyLines = keyLines;
        this.body = body;
    }

    AlertRule read() {
        JsonNode name = body.get("name");
        rule = name != null && name.isTextual() ? name.asText() : null;
        rejectUnknownKeys(body, "", KEYS);
        text("name", "the rule's name, e.g. HighErrorRate");
        JsonNode source = body.get("source");
        if (source != null && !Topics.SLO.name().equals(source.asText(null))) {
            throw fail("source", source, "\"" + Topics.SLO.name() + "\", the only source supported so far");
        }
        ObjectNode expr = mapping("expr", "a mapping {field, op, threshold}");
        rejectUnknownKeys(expr, "expr.", EXPR_KEYS);
        try {
            return new AlertRule(rule, text("expr.field", "a numeric SloWindow field"), comparator(),
                    threshold(), forDuration(), text("severity", "a severity such as critical or warning"),
                    strings("match"), strings("annotations"));
        } catch (AlertRule.InvalidRuleException e) {
            throw new IllegalArgumentException(where(e.key()) + e.getMessage(), e);
        }
    }

    private AlertRule.Comparator comparator() {
        JsonNode op = required("expr.op", "one of " + AlertRule.Comparator.symbols());
        return AlertRule.Comparator.ofSymbol(op.isTextual() ? op.asText() : "")
                .orElseThrow(() -> fail("expr.op", op, "one of " + AlertRule.Comparator.symbols()));
    }

    private double threshold() {
        JsonNode threshold = required("expr.threshold", "a number");
        if (!threshold.isNumber()) {
            throw fail("expr.threshold", threshold, "a number");
        }
        return threshold.doubleValue();
    }

    private Duration forDuration() {
        JsonNode node = body.get("for");
        if (node == null) {
            return Duration.ZERO;
        }
        String text = node.isTextual() || node.isIntegralNumber() ? node.asText() : "";
        return Durations.parse(text).orElseThrow(() -> fail("for", node, Durations.EXPECTED));
    }

    private Map<String, String> strings(String key) {
        JsonNode node = body.get(key);
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw fail(key, node, "a mapping of names to texts");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw fail(key + "." + e.getKey(), e.getValue(), "a text");
            }
            values.put(e.getKey(), e.getValue().asText());
        }
        return values;
    }

    private String text(String path, String expected) {
        JsonNode node = required(path, expected);
        if (!node.isTextual() || node.asText().isBlank()) {
            throw fail(path, node, expected);
        }
        return node.asText();
    }

    private ObjectNode mapping(String key, String expected) {
        JsonNode node = required(key, expected);
        if (!(node instanceof ObjectNode object)) {
            throw fail(key, node, expected);
        }
        return object;
    }

    private JsonNode required(String path, String expected) {
        JsonNode node = body.at("/" + path.replace('.', '/'));
        if (node.isMissingNode() || node.isNull()) {
            throw new IllegalArgumentException(where(path) + label() + ": key '" + path + "' is missing: expected "
                    + expected);
        }
        return node;
    }

    private void rejectUnknownKeys(ObjectNode node, String prefix, Iterable<String> known) {
        for (Map.Entry<String, JsonNode> property : node.properties()) {
            String key = property.getKey();
            if (!contains(known, key)) {
                throw new IllegalArgumentException(where(prefix + key) + label() + ": unknown key '" + prefix + key
                        + "': expected one of " + known);
            }
        }
    }

    private static boolean contains(Iterable<String> known, String key) {
        for (String k : known) {
            if (k.equals(key)) {
                return true;
            }
        }
        return false;
    }

    private IllegalArgumentException fail(String path, JsonNode value, String expected) {
        return new IllegalArgumentException(where(path) + label() + ": key '" + path + "' is " + value
                + ": expected " + expected);
    }

    private String label() {
        return rule == null ? "alert rule" : "alert rule '" + rule + "'";
    }

    /** {@code origin line N (rules[i]): }, with the line of the key if known, else of the rule. */
    private String where(String path) {
        Integer keyLine = keyLines.get(path);
        if (keyLine == null && path.contains(".")) {
            keyLine = keyLines.get(path.substring(0, path.indexOf('.')));
        }
        return origin + " line " + (keyLine == null ? line : keyLine) + " (rules[" + index + "]): ";
    }
}
