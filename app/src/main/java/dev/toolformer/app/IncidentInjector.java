package dev.toolformer.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import dev.toolformer.alerts.AlertRule;
import dev.toolformer.alerts.AlertRules;
import dev.toolformer.alerts.Expr;
import dev.toolformer.alerts.IncidentPolicy;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;

/**
 * The demo's incident: from the middle of the run, one provider ({@value #PROVIDER}) fails every call
 * for a quarter of the run, then recovers. Its calls keep flowing until the end, so the pipeline can
 * show the whole loop: an alert fires, the incident rule opens the breaker (calls get fast
 * REJECTED results), scales up and notifies; when the errors stop the alert resolves and the breaker
 * closes.
 */
final class IncidentInjector {
    static final String PROVIDER = "flaky-provider";
    static final String MODEL = "flaky-model";
    static final String RULE = "ProviderFailing";

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
     * {@code for} is longer than a short demo).
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
        incidentRules.add(new IncidentPolicy.Rule("demo_provider_failing", Map.of("alertname", RULE),
                response.cooldown(), response.maxPerHour(), response.scope(), response.actions()));
        return AlertRules.of(rules).withIncidents(new IncidentPolicy(policy.inhibitions(), policy.route(),
                policy.receivers(), incidentRules));
    }

    /** Runs until the demo's load ends (blocks); {@code onSent} sees every request. */
    void run(Consumer<ToolRequest> onSent) {
        long start = System.nanoTime();
        long failFrom = start + duration.toNanos() / 2;
        long failUntil = failFrom + duration.toNanos() / 4;
        long end = start + duration.toNanos();
        long interval = (long) (1_000_000_000L / ratePerSecond);
        for (long next = failFrom; next < end && !Thread.currentThread().isInterrupted(); next += interval) {
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
}
