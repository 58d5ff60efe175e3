package dev.toolformer.alerts.rules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.time.Durations;

/**
 * One mapping of the rules file with the line of each of its keys, and checked accessors whose errors
 * read {@code origin line N (section[i]): kind 'name': key 'k' is V: expected E}.
 */
class MappingReader {
    private final String origin;
    private final String item;
    private final int line;
    private final Map<String, Integer> keyLines;
    final ObjectNode body;
    private final String kind;
    private String name;

    MappingReader(String origin, String item, int line, Map<String, Integer> keyLines, ObjectNode body, String kind) {
        this.origin = origin;
        this.item = item;
        this.line = line;
        this.keyLines = keyLines;
        this.body = body;
        this.kind = kind;
    }

    /** Sets the name used in messages, e.g. the rule's name once it is known. */
    void named(String name) {
        this.name = name;
    }

    void rejectUnknownKeys(ObjectNode node, String prefix, Collection<String> known) {
        for (Map.Entry<String, JsonNode> property : node.properties()) {
            if (!known.contains(property.getKey())) {
                throw new IllegalArgumentException(where(prefix + property.getKey()) + label() + ": unknown key '"
                        + prefix + property.getKey() + "': expected one of " + known);
            }
        }
    }

    JsonNode required(String path, String expected) {
        JsonNode node = body.at("/" + path.replace('.', '/'));
        if (node.isMissingNode() || node.isNull()) {
            throw new IllegalArgumentException(where(path) + label() + ": key '" + path + "' is missing: expected "
                    + expected);
        }
        return node;
    }

    JsonNode optional(String path) {
        JsonNode node = body.at("/" + path.replace('.', '/'));
        return node.isMissingNode() || node.isNull() ? null : node;
    }

    String text(String path, String expected) {
        JsonNode node = required(path, expected);
        if (!node.isTextual() || node.asText().isBlank()) {
            throw fail(path, node, expected);
        }
        return node.asText();
    }

    Duration duration(String path, Duration otherwise) {
        JsonNode node = optional(path);
        return node == null ? otherwise : duration(path, node);
    }

    Duration duration(String path, JsonNode node) {
        String text = node.isTextual() || node.isIntegralNumber() ? node.asText() : "";
        return Durations.parse(text).orElseThrow(() -> fail(path, node, Durations.EXPECTED));
    }

    double number(String path, String expected) {
        JsonNode node = required(path, expected);
        if (!node.isNumber()) {
            throw fail(path, node, expected);
        }
        return node.doubleValue();
    }

    int positiveInt(String path, int otherwise) {
        JsonNode node = optional(path);
        if (node == null) {
            return otherwise;
        }
        if (!node.isIntegralNumber() || node.intValue() < 1) {
            throw fail(path, node, "a whole number >= 1");
        }
        return node.intValue();
    }

    Map<String, String> strings(String path) {
        JsonNode node = optional(path);
        if (node == null) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw fail(path, node, "a mapping of names to texts");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw fail(path + "." + e.getKey(), e.getValue(), "a text");
            }
            values.put(e.getKey(), e.getValue().asText());
        }
        return values;
    }

    List<String> stringList(String path, List<String> otherwise) {
        JsonNode node = optional(path);
        if (node == null) {
            return otherwise;
        }
        if (!node.isArray()) {
            throw fail(path, node, "a list of texts");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isTextual() || element.asText().isBlank()) {
                throw fail(path, node, "a list of texts");
            }
            values.add(element.asText());
        }
        return values;
    }

    IllegalArgumentException fail(String path, JsonNode value, String expected) {
        return new IllegalArgumentException(where(path) + label() + ": key '" + path + "' is " + value
                + ": expected " + expected);
    }

    /** Prefixes a message of a value object's own validation with the location of {@code path}. */
    IllegalArgumentException located(String path, IllegalArgumentException e) {
        return new IllegalArgumentException(where(path) + e.getMessage(), e);
    }

    String label() {
        return name == null ? kind : kind + " '" + name + "'";
    }

    /** {@code origin line N (item): }, with the line of the key if known, else of the item. */
    String where(String path) {
        Integer keyLine = keyLines.get(path);
        while (keyLine == null && (path.contains(".") || path.contains("["))) {
            path = path.substring(0, Math.max(path.lastIndexOf('.'), path.lastIndexOf('[')));
            keyLine = keyLines.get(path);
        }
        return origin + " line " + (keyLine == null ? line : keyLine) + " (" + item + "): ";
    }
}
