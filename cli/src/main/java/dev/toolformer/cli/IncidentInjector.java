package dev.toolformer.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.alerts.rules.Expr;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ToolRequest;

/**
 * The demo's incident: from the middle of the run, one provider ({@value #PROVIDER}) fails every call
 * for a quarter of the run, then recovers. Its calls keep flowing until the end of the run, and after it
 * until the alert has resolved (at most {@link #MAX_RECOVERY}), so the pipeline can show the whole loop:
 * an alert fires, the incident rule opens the breaker with probing (calls get fast UNAVAILABLE results,
 * which keep the alert firing), scales up and notifies; when the provider recovers the breaker's probes
 * succeed and close it, the calls succeed and the alert resolves.
 */
final class IncidentInjector {
    static final String PROVIDER = "flaky-provider";
    static final String MODEL = "flaky-model";
    static final String RULE = "ProviderFailing";
    /** How long the demo's breaker stays open before it probes: short, so a short demo shows the probes. */
    static final Duration PROBE_AFTER = Duration.ofSeconds(5);
    /** The longest the injector keeps the provider's calls flowing after the load, waiting for the resolve. */
    static final Duration MAX_RECOVERY = Duration.ofMinutes(3);

    private final ToolformerClient client;
    private final Duration duration;
    private final double ratePerSecond;

    IncidentInjector(ToolformerClient client, Duration duration, double ratePerSecond) {
        this.client = client;
        this.duration = duration;
        this.ratePerSecond = Math.max(1, ratePerSecond);
    }

    /**
     * The shipped rules plus one for the demo's incident: {@value #RULE} fires at once when more than
     * half of {@value #PROVIDER}'s calls fail in a minute, and runs the actions the shipped
     * {@code high_error_rate_response} incident rule runs for HighErrorRate (whose 2-minute
     * {@code for} is longer than a short demo), with the breaker probing after {@link #PROBE_AFTER}.
     */
    static AlertRules demoRules() {
        AlertRules defaults = AlertRules.defaults();
        List<AlertRule> rules = new ArrayList<>(defaults.rules());
        rules.add(new AlertRule(RULE, "error_rate", Expr.Comparator.GT, 0.5, Duration.ZERO, "critical",
                Map.of("provider", PROVIDER), Map.of("summary", "{{provider}} fails {{value}} of calls to {{tool}}")));
        IncidentPolicy policy = defaults.incidents();
        IncidentPolicy.Rule response = policy.rules().stream()
                .filter(r -> r.match().equals(Map.of("alertname", "HighErrorRate")))
                .findFirst().orElseThrow(() -> new IllegalStateException("no incident rule for HighErrorRate"));
        List<IncidentPolicy.Rule> incidentRules = new ArrayList<>(policy.rules());
        List<IncidentPolicy.Action> actions = response.actions().stream()
                .map(a -> a.type() != IncidentPolicy.ActionType.CIRCUIT_BREAKER ? a
                        : new IncidentPolicy.Action(a.type(), a.receiver(), a.after(), a.ratePerS(), PROBE_AFTER))
                .toList();
        incidentRules.add(new IncidentPolicy.Rule("demo_provider_failing", Map.of("alertname", RULE),
                response.cooldown(), response.maxPerHour(), response.scope(), actions));
        return AlertRules.of(rules).withIncidents(new IncidentPolicy(policy.inhibitions(), policy.route(),
                policy.receivers(), incidentRules));
    }

    /**
     * Runs until the demo's load ends and then, while {@code incidentOpen} says an alert of the incident is
     * still pending or firing, at most {@link #MAX_RECOVERY} longer (blocks); {@code onSent} sees every request.
     */
    void run(Consumer<ToolRequest> onSent, BooleanSupplier incidentOpen) {
        long start = System.nanoTime();
        long failFrom = start + duration.toNanos() / 2;
        long failUntil = failFrom + duration.toNanos() / 4;
        long end = start + duration.toNanos();
        long recoveryEnd = end + MAX_RECOVERY.toNanos();
        long interval = (long) (1_000_000_000L / ratePerSecond);
        for (long next = failFrom; !Thread.currentThread().isInterrupted(); next += interval) {
            if (next >= recoveryEnd || next >= end && !incidentOpen.getAsBoolean()) {
                break;
            }
            LockSupport.parkNanos(next - System.nanoTime());
            boolean failing = next < failUntil;
            ToolRequest request = client.newRequest("simulated",
                    "{\"name\":\"flaky_tool\",\"latency_ms\":20,\"fail_probability\":" + (failing ? 1 : 0)
                            + ",\"input_tokens\":300,\"output_tokens\":80}", Duration.ofSeconds(5))
                    .setProvider(PROVIDER).setModel(MODEL).build();
            onSent.accept(request);
            client.publish(request);
        }
    }

    /** True while the latest transition of some series of {@value #RULE} is PENDING or FIRING. */
    static boolean open(List<AlertEvent> alerts) {
        Map<String, AlertState> latest = new HashMap<>();
        alerts.stream().filter(a -> a.getRule().equals(RULE)).forEach(a -> latest.put(a.getFingerprint(), a.getState()));
        return latest.containsValue(AlertState.PENDING) || latest.containsValue(AlertState.FIRING);
    }
}
