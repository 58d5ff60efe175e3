package dev.toolformer.alerts.rules;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.toolformer.alerts.incident.FleetActions;

/**
 * What happens when alerts fire: inhibition, notification grouping, webhook receivers and incident
 * rules (an alert → ordered actions, with a cooldown and an hourly cap). Read from the same rules file
 * as the alert rules; every part is optional.
 *
 * @param inhibitions alerts that mute others while firing
 * @param route       how notifications are grouped, and the receiver every alert goes to (if any)
 * @param receivers   webhook receivers by name
 * @param rules       incident rules, evaluated in order; every matching rule runs
 */
public record IncidentPolicy(List<Inhibit> inhibitions, Route route, Map<String, Receiver> receivers,
                             List<Rule> rules) {

    public IncidentPolicy {
        inhibitions = List.copyOf(inhibitions);
        Objects.requireNonNull(route, "route == null");
        receivers = Map.copyOf(receivers);
        rules = List.copyOf(rules);
    }

    /** No inhibition, default grouping, no receivers, no incident rules. */
    public static IncidentPolicy none() {
        return new IncidentPolicy(List.of(), Route.DEFAULT, Map.of(), List.of());
    }

    /**
     * While an alert matching {@code sourceMatch} fires, alerts matching {@code targetMatch} whose
     * {@code equal} labels have the same values are muted (never the source alert itself).
     */
    public record Inhibit(Map<String, String> sourceMatch, Map<String, String> targetMatch, List<String> equal) {
        public Inhibit {
            sourceMatch = Map.copyOf(sourceMatch);
            targetMatch = Map.copyOf(targetMatch);
            equal = List.copyOf(equal);
        }
    }

    /**
     * Alertmanager's grouping: a new group waits {@code groupWait} before its first notification, later
     * changes wait {@code groupInterval} after the previous one, and an unchanged firing group is sent
     * again after {@code repeatInterval}.
     *
     * @param receiver the receiver every alert is notified to, or null for only incident rules' notify actions
     */
    public record Route(String receiver, List<String> groupBy, Duration groupWait, Duration groupInterval,
                        Duration repeatInterval) {
        public static final Route DEFAULT = new Route(null, List.of("alertname"), Duration.ofSeconds(30),
                Duration.ofMinutes(5), Duration.ofHours(4));

        public Route {
            groupBy = List.copyOf(groupBy);
            Objects.requireNonNull(groupWait, "groupWait == null");
            Objects.requireNonNull(groupInterval, "groupInterval == null");
            Objects.requireNonNull(repeatInterval, "repeatInterval == null");
        }
    }

    /** A named set of webhooks; POSTs are retried {@code retries} times and limited to {@code maxPerMinute}. */
    public record Receiver(String name, List<Webhook> webhooks, int retries, int maxPerMinute) {
        public Receiver {
            Objects.requireNonNull(name, "name == null");
            webhooks = List.copyOf(webhooks);
        }
    }

    /** One webhook URL and the payload format it expects. */
    public record Webhook(URI url, Format format) {
        public Webhook {
            Objects.requireNonNull(url, "url == null");
            Objects.requireNonNull(format, "format == null");
        }
    }

    /** Webhook payload formats. */
    public enum Format {
        /** {@code {"text": "..."}}, as Slack incoming webhooks (and Mattermost, Teams connectors) accept. */
        SLACK,
        /** Prometheus Alertmanager's webhook JSON, version 4 (what Alertmanager sends its webhook receivers). */
        ALERTMANAGER,
        /**
         * The alerts themselves, posted to an Alertmanager's {@code /api/v2/alerts} (the URL given) as Prometheus
         * does: re-sent every minute while they fire, with {@code endsAt} when they resolve, so that Alertmanager
         * routes, groups, silences and inhibits them with the rest of an organisation's alerts.
         */
        ALERTMANAGER_API
    }

    /** Whether cooldown and hourly cap count executions per rule (the spec) or per alert fingerprint. */
    public enum Scope { RULE, ALERT }

    /**
     * An incident rule: when a firing alert's labels match {@code match}, its actions run in order,
     * unless the rule ran less than {@code cooldown} ago or {@code maxPerHour} times in the last hour.
     */
    public record Rule(String name, Map<String, String> match, Duration cooldown, int maxPerHour, Scope scope,
                       List<Action> actions) {
        public static final Duration DEFAULT_COOLDOWN = Duration.ofMinutes(5);
        public static final int DEFAULT_MAX_PER_HOUR = 10;

        public Rule {
            Objects.requireNonNull(name, "name == null");
            match = Map.copyOf(match);
            Objects.requireNonNull(cooldown, "cooldown == null");
            Objects.requireNonNull(scope, "scope == null");
            actions = List.copyOf(actions);
        }

        public boolean matches(Map<String, String> labels) {
            return match.entrySet().stream().allMatch(m -> m.getValue().equals(labels.get(m.getKey())));
        }
    }

    /**
     * One action of an incident rule.
     *
     * @param receiver  for notify and escalate: the receiver's name
     * @param after     for escalate: how long the alert must stay firing and unacknowledged
     * @param ratePerS  for throttle: the rate executors are throttled to
     * @param probeAfter for circuit_breaker: how long the breakers stay open before they let probe calls
     *                   through (half-open)
     * @param target    for restart_service: {@code deployment/NAME} or {@code pod/NAME}, may hold {@code {{label}}}
     * @param urls      for check_dependencies: http(s) URLs to GET besides the Kafka check (a provider's endpoint,
     *                  analytics' and the alert processor's {@code /health/ready}), may hold {@code {{label}}}
     */
    public record Action(ActionType type, String receiver, Duration after, Double ratePerS, Duration probeAfter,
                         String target, List<String> urls) {
        /** How long an alert-driven breaker stays open before it probes, unless the rule says otherwise. */
        public static final Duration DEFAULT_PROBE_AFTER = Duration.ofSeconds(30);

        public Action {
            Objects.requireNonNull(type, "type == null");
            if (type == ActionType.CIRCUIT_BREAKER && probeAfter == null) {
                probeAfter = DEFAULT_PROBE_AFTER;
            }
            urls = urls == null ? List.of() : List.copyOf(urls);
        }

        /** An action without URLs (all but check_dependencies). */
        public Action(ActionType type, String receiver, Duration after, Double ratePerS, Duration probeAfter,
                      String target) {
            this(type, receiver, after, ratePerS, probeAfter, target, List.of());
        }

        /** An action without a target (all but restart_service). */
        public Action(ActionType type, String receiver, Duration after, Double ratePerS, Duration probeAfter) {
            this(type, receiver, after, ratePerS, probeAfter, null);
        }

        /** For restart_service: {@code target} with each {@code {{label}}} replaced by the alert's label. */
        public String target(Map<String, String> labels) {
            return fill(target, labels);
        }

        /** For check_dependencies: the {@code urls}, each {@code {{label}}} replaced by the alert's label. */
        public List<String> urls(Map<String, String> labels) {
            return urls.stream().map(u -> fill(u, labels)).toList();
        }

        private static String fill(String template, Map<String, String> labels) {
            String resolved = template;
            for (Map.Entry<String, String> label : labels.entrySet()) {
                resolved = resolved.replace("{{" + label.getKey() + "}}", label.getValue());
            }
            return resolved;
        }

        /** An action without {@code probe_after} (the default for a circuit breaker). */
        public Action(ActionType type, String receiver, Duration after, Double ratePerS) {
            this(type, receiver, after, ratePerS, null);
        }
    }

    /** The actions an incident rule can take. */
    public enum ActionType {
        /**
         * Opens the breaker for the alert's tool/provider on every executor; after {@code probe_after} each
         * breaker lets a few probe calls through and closes only when they succeed. The alert resolving does
         * not close it: the alert resolves because probes and real calls succeed again.
         */
        CIRCUIT_BREAKER,
        /** Throttles every executor (for the alert's tool/provider, if any); lifted on resolve. */
        THROTTLE,
        /** Asks the {@link FleetActions} for one more executor. */
        SCALE_UP,
        /** Notifies a receiver, grouped by the route. */
        NOTIFY,
        /** Notifies a receiver if the alert is still firing and unacknowledged after a delay. */
        ESCALATE,
        /**
         * Checks what the incident touches: the Kafka cluster, the provider endpoints of the alert's tools (a
         * short HTTP request each), and the analytics and alert-processor health endpoints configured.
         */
        CHECK_DEPENDENCIES,
        /**
         * TRIGGER_GC to the alert's executor (its {@code executor} label), or to every executor: each runs a
         * garbage collection and logs its heap before and after.
         */
        TRIGGER_GC,
        /** Asks the {@link FleetActions} to restart {@code target}: a Deployment's rollout restart, or a pod. */
        RESTART_SERVICE;

        /** The name in the rules file, e.g. {@code circuit_breaker}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<ActionType> ofKey(String key) {
            return Arrays.stream(values()).filter(t -> t.key().equals(key)).findFirst();
        }

        static String keys() {
            return Arrays.stream(values()).map(ActionType::key).collect(Collectors.joining(", "));
        }
    }
}
