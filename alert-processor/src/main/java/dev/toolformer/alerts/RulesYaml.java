package dev.toolformer.alerts;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a rules file token by token, so that every key keeps its line for error messages
 * (a Jackson tree forgets where its nodes came from). Each rule is then checked by {@link RuleReader}.
 */
final class RulesYaml {
    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final YAMLFactory FACTORY = (YAMLFactory) MAPPER.getFactory();

    private RulesYaml() {
    }

    static List<AlertRule> read(Reader reader, String origin) {
        try (JsonParser p = FACTORY.createParser(reader)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw error(origin, p.currentTokenLocation(), "expected a mapping with the key 'rules'");
            }
            List<AlertRule> rules = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                JsonLocation keyAt = p.currentTokenLocation();
                if (!p.currentName().equals("rules")) {
                    throw error(origin, keyAt, "unknown key '" + p.currentName() + "': expected 'rules'");
                }
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    throw error(origin, keyAt, "key 'rules' is not a list: expected a list of rules");
                }
                rules = readRules(p, origin);
            }
            if (rules == null) {
                throw error(origin, p.currentTokenLocation(), "key 'rules' is missing: expected a list of rules");
            }
            return rules;
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
                throw new IllegalArgumentException(yamlError(origin, yaml), e);
            }
            throw error(origin, e.getLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": cannot read alert rules: " + e.getMessage(), e);
        }
    }

    private static List<AlertRule> readRules(JsonParser p, String origin) throws IOException {
        List<AlertRule> rules = new ArrayList<>();
        Map<String, Integer> indexByName = new HashMap<>();
        for (int index = 0; p.nextToken() != JsonToken.END_ARRAY; index++) {
            int line = p.currentTokenLocation().getLineNr();
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(origin + " line " + line + " (rules[" + index + "]): "
                        + "expected a rule mapping with the keys " + RuleReader.KEYS);
            }
            Map<String, Integer> keyLines = new LinkedHashMap<>();
            ObjectNode body = readMapping(p, "", keyLines);
            AlertRule rule = new RuleReader(origin, index, line, keyLines, body).read();
            Integer previous = indexByName.putIfAbsent(rule.name(), index);
            if (previous != null) {
                throw new IllegalArgumentException(origin + " line " + keyLines.get("name") + " (rules[" + index
                        + "]): alert rule '" + rule.name() + "': key 'name' is \"" + rule.name()
                        + "\": expected a name not already used by rules[" + previous + "]");
            }
            rules.add(rule);
        }
        return rules;
    }

    /** Reads the mapping the parser is at, recording the line of every key as a dotted path. */
    private static ObjectNode readMapping(JsonParser p, String prefix, Map<String, Integer> lines)
            throws IOException {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            lines.put(prefix + key, p.currentTokenLocation().getLineNr());
            JsonToken value = p.nextToken();
            node.set(key, value == JsonToken.START_OBJECT
                    ? readMapping(p, prefix + key + ".", lines) : MAPPER.readTree(p));
        }
        return node;
    }

    /** SnakeYAML's own marks point at the problem; Jackson's location points at the enclosing node. */
    private static String yamlError(String origin, MarkedYAMLException e) {
        String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
        return origin + " line " + (e.getProblemMark().getLine() + 1) + ": " + e.getProblem() + context;
    }

    private static IllegalArgumentException error(String origin, JsonLocation at, String message) {
        String where = at == null || at.getLineNr() < 1 ? origin : origin + " line " + at.getLineNr();
        return new IllegalArgumentException(where + ": " + message);
    }
}
