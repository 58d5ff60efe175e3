package dev.toolformer.alerts.rules;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

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
 * (a Jackson tree forgets where its nodes came from). Items are then checked by {@link RuleReader}
 * and {@link PolicyReader}.
 */
final class RulesYaml {
    static final List<String> SECTIONS = List.of("rules", "inhibit", "route", "receivers", "incidents");
    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final YAMLFactory FACTORY = (YAMLFactory) MAPPER.getFactory();

    /** The contents of a rules file. */
    record Parsed(List<AlertRule> rules, IncidentPolicy policy) {
    }

    private final String origin;
    private final UnaryOperator<String> env;
    private final Map<String, Integer> ruleIndexByName = new HashMap<>();
    private final Map<String, String> incidentWhere = new HashMap<>();
    private String routeWhere;

    private RulesYaml(String origin, UnaryOperator<String> env) {
        this.origin = origin;
        this.env = env;
        this.routeWhere = origin + ": ";
    }

    static Parsed read(Reader reader, String origin, UnaryOperator<String> env) {
        return new RulesYaml(origin, env).read(reader);
    }

    private Parsed read(Reader reader) {
        try (JsonParser p = FACTORY.createParser(reader)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw error(p.currentTokenLocation(), "expected a mapping with the key 'rules'");
            }
            List<AlertRule> rules = null;
            List<IncidentPolicy.Inhibit> inhibit = List.of();
            IncidentPolicy.Route route = IncidentPolicy.Route.DEFAULT;
            List<IncidentPolicy.Receiver> receivers = List.of();
            List<IncidentPolicy.Rule> incidents = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                JsonLocation keyAt = p.currentTokenLocation();
                String section = p.currentName();
                JsonToken value = p.nextToken();
                switch (section) {
                    case "rules" -> rules = list(p, keyAt, section, this::rule);
                    case "inhibit" -> inhibit = list(p, keyAt, section,
                            m -> PolicyReader.inhibit(reader(m, "inhibit rule")));
                    case "receivers" -> receivers = list(p, keyAt, section,
                            m -> PolicyReader.receiver(reader(m, "receiver"), env));
                    case "incidents" -> incidents = list(p, keyAt, section, this::incident);
                    case "route" -> {
                        if (value != JsonToken.START_OBJECT) {
                            throw error(keyAt, "key 'route' is not a mapping: expected {group_by, group_wait, ...}");
                        }
                        Map<String, Integer> lines = new LinkedHashMap<>();
                        routeWhere = origin + " line " + keyAt.getLineNr() + ": ";
                        route = PolicyReader.route(new MappingReader(origin, "route", keyAt.getLineNr(), lines,
                                readMapping(p, "", lines), "route"));
                    }
                    default -> throw error(keyAt, "unknown key '" + section + "': expected one of " + SECTIONS);
                }
            }
            if (rules == null) {
                throw error(p.currentTokenLocation(), "key 'rules' is missing: expected a list of rules");
            }
            IncidentPolicy policy = new IncidentPolicy(inhibit, route, PolicyReader.byName(receivers, origin),
                    incidents);
            PolicyReader.checkReceivers(policy, routeWhere, incidentWhere);
            return new Parsed(rules, policy);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
                throw new IllegalArgumentException(yamlError(yaml), e);
            }
            throw error(e.getLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": cannot read alert rules: " + e.getMessage(), e);
        }
    }

    /** One list item as it was read: its section, index, line and key lines. */
    private record Item(String section, int index, int line, Map<String, Integer> keyLines, ObjectNode body) {
    }

    private <T> List<T> list(JsonParser p, JsonLocation keyAt, String section, Function<Item, T> read)
            throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(keyAt, "key '" + section + "' is not a list: expected a list of mappings");
        }
        List<T> items = new ArrayList<>();
        for (int index = 0; p.nextToken() != JsonToken.END_ARRAY; index++) {
            int line = p.currentTokenLocation().getLineNr();
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(origin + " line " + line + " (" + section + "[" + index + "]): "
                        + "expected a mapping");
            }
            Map<String, Integer> keyLines = new LinkedHashMap<>();
            ObjectNode body = readMapping(p, "", keyLines);
            items.add(read.apply(new Item(section, index, line, keyLines, body)));
        }
        return items;
    }

    private AlertRule rule(Item item) {
        AlertRule rule = new RuleReader(origin, item.index, item.line, item.keyLines, item.body).read();
        Integer previous = ruleIndexByName.putIfAbsent(rule.name(), item.index);
        if (previous != null) {
            throw new IllegalArgumentException(origin + " line " + item.keyLines.get("name") + " (rules[" + item.index
                    + "]): alert rule '" + rule.name() + "': key 'name' is \"" + rule.name()
                    + "\": expected a name not already used by rules[" + previous + "]");
        }
        return rule;
    }

    private IncidentPolicy.Rule incident(Item item) {
        MappingReader reader = reader(item, "incident rule");
        IncidentPolicy.Rule rule = PolicyReader.incident(reader, env);
        if (incidentWhere.put(rule.name(), reader.where("actions")) != null) {
            throw new IllegalArgumentException(reader.where("name") + "incident rule '" + rule.name()
                    + "': key 'name' is \"" + rule.name() + "\": expected a name used by one incident rule only");
        }
        return rule;
    }

    private MappingReader reader(Item item, String kind) {
        return new MappingReader(origin, item.section + "[" + item.index + "]", item.line, item.keyLines, item.body,
                kind);
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
    private String yamlError(MarkedYAMLException e) {
        String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
        return origin + " line " + (e.getProblemMark().getLine() + 1) + ": " + e.getProblem() + context;
    }

    private IllegalArgumentException error(JsonLocation at, String message) {
        String where = at == null || at.getLineNr() < 1 ? origin : origin + " line " + at.getLineNr();
        return new IllegalArgumentException(where + ": " + message);
    }
}
