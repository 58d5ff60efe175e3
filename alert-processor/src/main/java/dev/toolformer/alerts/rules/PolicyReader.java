package dev.toolformer.alerts.rules;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** Reads the incident sections of a rules file: inhibit, route, receivers and incidents. */
final class PolicyReader {
    static final List<String> INHIBIT_KEYS = List.of("source_match", "target_match", "equal");
    static final List<String> ROUTE_KEYS = List.of("receiver", "group_by", "group_wait", "group_interval",
            "repeat_interval");
    static final List<String> RECEIVER_KEYS = List.of("name", "webhooks", "retries", "max_per_minute");
    static final List<String> INCIDENT_KEYS = List.of("name", "match", "cooldown", "max_per_hour", "scope", "actions");
    private static final List<String> WEBHOOK_KEYS = List.of("url", "format");
    private static final List<String> ACTION_KEYS = List.of("type", "receiver", "after", "rate_per_s",
            "probe_after", "target", "urls");
    private static final Pattern RESTART_TARGET = Pattern.compile("(deployment|pod)/[^/\\s]+");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private PolicyReader() {
    }

    static IncidentPolicy.Inhibit inhibit(MappingReader m) {
        m.rejectUnknownKeys(m.body, "", INHIBIT_KEYS);
        if (m.optional("source_match") == null) {
            m.required("source_match", "the labels of the muting alert, e.g. {alertname: ServiceDown}");
        }
        return new IncidentPolicy.Inhibit(m.strings("source_match"), m.strings("target_match"),
                m.stringList("equal", List.of()));
    }

    static IncidentPolicy.Route route(MappingReader m) {
        m.rejectUnknownKeys(m.body, "", ROUTE_KEYS);
        IncidentPolicy.Route d = IncidentPolicy.Route.DEFAULT;
        String receiver = m.optional("receiver") == null ? null : m.text("receiver", "a receiver's name");
        return new IncidentPolicy.Route(receiver, m.stringList("group_by", d.groupBy()),
                m.duration("group_wait", d.groupWait()), positive(m, "group_interval", d.groupInterval()),
                positive(m, "repeat_interval", d.repeatInterval()));
    }

    static IncidentPolicy.Receiver receiver(MappingReader m, UnaryOperator<String> env) {
        JsonNode nameNode = m.body.get("name");
        m.named(nameNode != null && nameNode.isTextual() ? nameNode.asText() : null);
        m.rejectUnknownKeys(m.body, "", RECEIVER_KEYS);
        String name = m.text("name", "the receiver's name, e.g. oncall");
        List<IncidentPolicy.Webhook> webhooks = new ArrayList<>();
        JsonNode list = m.optional("webhooks");
        if (list != null && !list.isArray()) {
            throw m.fail("webhooks", list, "a list of {url, format}");
        }
        for (int i = 0; list != null && i < list.size(); i++) {
            String path = "webhooks[" + i + "]";
            if (!(list.get(i) instanceof ObjectNode hook)) {
                throw m.fail(path, list.get(i), "a mapping {url, format}");
            }
            m.rejectUnknownKeys(hook, path + ".", WEBHOOK_KEYS);
            String url = expand(hook.path("url").asText(""), env).trim();
            if (!url.isEmpty()) {
                webhooks.add(new IncidentPolicy.Webhook(uri(m, path + ".url", url), format(m, path, hook)));
            }
        }
        return new IncidentPolicy.Receiver(name, webhooks, nonNegative(m, "retries", 3),
                m.positiveInt("max_per_minute", 20));
    }

    static IncidentPolicy.Rule incident(MappingReader m, UnaryOperator<String> env) {
        JsonNode nameNode = m.body.get("name");
        m.named(nameNode != null && nameNode.isTextual() ? nameNode.asText() : null);
        m.rejectUnknownKeys(m.body, "", INCIDENT_KEYS);
        String name = m.text("name", "the incident rule's name, e.g. high_error_rate_response");
        if (m.optional("match") == null) {
            m.required("match", "the labels of the alerts it handles, e.g. {alertname: HighErrorRate}");
        }
        IncidentPolicy.Scope scope = IncidentPolicy.Scope.RULE;
        JsonNode scopeNode = m.optional("scope");
        if (scopeNode != null) {
            String text = scopeNode.asText("").toUpperCase(Locale.ROOT);
            if (!text.equals("RULE") && !text.equals("ALERT")) {
                throw m.fail("scope", scopeNode, "rule (count executions per rule) or alert (per alert)");
            }
            scope = IncidentPolicy.Scope.valueOf(text);
        }
        return new IncidentPolicy.Rule(name, m.strings("match"),
                m.duration("cooldown", IncidentPolicy.Rule.DEFAULT_COOLDOWN),
                m.positiveInt("max_per_hour", IncidentPolicy.Rule.DEFAULT_MAX_PER_HOUR), scope, actions(m, env));
    }

    private static List<IncidentPolicy.Action> actions(MappingReader m, UnaryOperator<String> env) {
        JsonNode list = m.required("actions", "a list of actions: " + IncidentPolicy.ActionType.keys());
        if (!list.isArray() || list.isEmpty()) {
            throw m.fail("actions", list, "a non-empty list of actions: " + IncidentPolicy.ActionType.keys());
        }
        List<IncidentPolicy.Action> actions = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            actions.add(action(m, "actions[" + i + "]", list.get(i), env));
        }
        return actions;
    }

    private static IncidentPolicy.Action action(MappingReader m, String path, JsonNode node,
                                                UnaryOperator<String> env) {
        JsonNode typeNode = node.isObject() ? node.get("type") : node;
        if (node.isObject()) {
            m.rejectUnknownKeys((ObjectNode) node, path + ".", ACTION_KEYS);
        }
        IncidentPolicy.ActionType type = IncidentPolicy.ActionType.ofKey(typeNode == null ? "" : typeNode.asText(""))
                .orElseThrow(() -> m.fail(path, node, "one of " + IncidentPolicy.ActionType.keys()
                        + ", or a mapping {type, ...}"));
        String receiver = node.path("receiver").asText(null);
        Duration after = node.has("after") ? m.duration(path + ".after", node.get("after")) : null;
        Double rate = node.has("rate_per_s") ? node.get("rate_per_s").asDouble(Double.NaN) : null;
        Duration probeAfter = node.has("probe_after") ? m.duration(path + ".probe_after", node.get("probe_after"))
                : null;
        if (probeAfter != null && (type != IncidentPolicy.ActionType.CIRCUIT_BREAKER || !probeAfter.isPositive())) {
            throw m.fail(path + ".probe_after", node.get("probe_after"),
                    "a duration > 0, and only on a circuit_breaker action");
        }
        switch (type) {
            case NOTIFY, ESCALATE -> {
                if (receiver == null || receiver.isBlank()) {
                    throw m.fail(path + ".receiver", node.get("receiver"), "the name of a receiver");
                }
            }
            case THROTTLE -> {
                if (rate == null) {
                    rate = 10.0;
                } else if (!(rate > 0) || rate.isInfinite()) {
                    throw m.fail(path + ".rate_per_s", node.get("rate_per_s"), "a rate > 0, in requests per second");
                }
            }
            default -> {
            }
        }
        String target = node.path("target").asText(null);
        if (type == IncidentPolicy.ActionType.RESTART_SERVICE
                ? target == null || !RESTART_TARGET.matcher(target).matches() : target != null) {
            throw m.fail(path + ".target", node.get("target"), "deployment/NAME or pod/NAME ({{label}} allowed),"
                    + " and only on a restart_service action");
        }
        List<String> urls = new ArrayList<>();
        JsonNode urlsNode = node.path("urls");
        if (!urlsNode.isMissingNode()) {
            if (type != IncidentPolicy.ActionType.CHECK_DEPENDENCIES || !urlsNode.isArray()) {
                throw m.fail(path + ".urls", urlsNode,
                        "a list of http(s) URLs, and only on a check_dependencies action");
            }
            for (int i = 0; i < urlsNode.size(); i++) {
                String url = expand(urlsNode.get(i).asText(""), env).trim();
                if (url.isEmpty()) {
                    continue; // a URL from a variable that is not set: that dependency is not checked
                }
                if (!url.startsWith("http://") && !url.startsWith("https://")) {
                    throw m.fail(path + ".urls[" + i + "]", urlsNode.get(i), "an http(s) URL ({{label}} allowed)");
                }
                urls.add(url);
            }
        }
        if (type == IncidentPolicy.ActionType.ESCALATE && after == null) {
            after = Duration.ofMinutes(15);
        }
        return new IncidentPolicy.Action(type, receiver, after, rate, probeAfter, target, urls);
    }

    private static IncidentPolicy.Format format(MappingReader m, String path, ObjectNode hook) {
        String text = hook.path("format").asText("slack").toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return IncidentPolicy.Format.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw m.fail(path + ".format", hook.get("format"), "slack, alertmanager or alertmanager-api");
        }
    }

    private static URI uri(MappingReader m, String path, String url) {
        try {
            URI uri = new URI(url);
            if ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw m.fail(path, TextNode.valueOf(url), "an http or https URL");
    }

    /** Replaces {@code ${VAR}} and {@code ${VAR:-default}}; an unset variable without default becomes empty. */
    static String expand(String text, UnaryOperator<String> env) {
        Matcher matcher = VARIABLE.matcher(text);
        return matcher.replaceAll(v -> {
            String value = env.apply(v.group(1));
            return Matcher.quoteReplacement(value != null ? value : v.group(2) == null ? "" : v.group(2));
        });
    }

    private static Duration positive(MappingReader m, String path, Duration otherwise) {
        Duration d = m.duration(path, otherwise);
        if (!d.isPositive()) {
            throw m.fail(path, m.optional(path), "a duration > 0");
        }
        return d;
    }

    private static int nonNegative(MappingReader m, String path, int otherwise) {
        JsonNode node = m.optional(path);
        if (node == null) {
            return otherwise;
        }
        if (!node.isIntegralNumber() || node.intValue() < 0) {
            throw m.fail(path, node, "a whole number >= 0");
        }
        return node.intValue();
    }

    /** Checks that every receiver an action or the route names exists. */
    static void checkReceivers(IncidentPolicy policy, String routeWhere, Map<String, String> ruleWhere) {
        if (policy.route().receiver() != null && !policy.receivers().containsKey(policy.route().receiver())) {
            throw new IllegalArgumentException(routeWhere + "route: key 'receiver' is \"" + policy.route().receiver()
                    + "\": expected one of the receivers " + policy.receivers().keySet());
        }
        for (IncidentPolicy.Rule rule : policy.rules()) {
            for (int i = 0; i < rule.actions().size(); i++) {
                IncidentPolicy.Action a = rule.actions().get(i);
                if (a.receiver() != null && !policy.receivers().containsKey(a.receiver())) {
                    throw new IllegalArgumentException(ruleWhere.get(rule.name()) + "incident rule '" + rule.name()
                            + "': key 'actions[" + i + "].receiver' is \"" + a.receiver()
                            + "\": expected one of the receivers " + policy.receivers().keySet());
                }
            }
        }
    }

    static Map<String, IncidentPolicy.Receiver> byName(List<IncidentPolicy.Receiver> receivers, String origin) {
        Map<String, IncidentPolicy.Receiver> map = new LinkedHashMap<>();
        for (IncidentPolicy.Receiver r : receivers) {
            if (map.put(r.name(), r) != null) {
                throw new IllegalArgumentException(origin + " (receivers): receiver '" + r.name()
                        + "': key 'name' is \"" + r.name() + "\": expected a name used by one receiver only");
            }
        }
        return map;
    }
}
