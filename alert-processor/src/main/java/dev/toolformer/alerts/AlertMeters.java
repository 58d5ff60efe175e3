package dev.toolformer.alerts;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The alert processor's own figures on {@code /metrics}, wherever it runs (standalone or in the all-in-one):
 * <ul>
 *   <li>{@code toolformer_alerts_firing{rule,severity}}: alerts firing now, one series per rule of the rule set.
 *       Every instance reads the whole of {@code toolformer.alerts}, so each reports the cluster-wide figure:
 *       aggregate with {@code max}, not {@code sum}.</li>
 *   <li>{@code toolformer_alerts_transitions_total{rule,state}}: alert events (FIRING, RESOLVED) this instance's
 *       incident responder handled.</li>
 *   <li>{@code toolformer_alerts_notifications_total{receiver,result}}: grouped notifications sent ({@code sent})
 *       or given up on after their retries ({@code failed}).</li>
 *   <li>{@code toolformer_alerts_actions_total{action,outcome}}: incident actions recorded, by outcome (executed,
 *       recommended, failed, skipped_cooldown, ...).</li>
 * </ul>
 */
public final class AlertMeters {
    public static final String FIRING = "toolformer_alerts_firing";
    public static final String TRANSITIONS = "toolformer_alerts_transitions_total";
    public static final String NOTIFICATIONS = "toolformer_alerts_notifications_total";
    public static final String ACTIONS = "toolformer_alerts_actions_total";

    private final MeterRegistry registry;

    public AlertMeters(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry == null");
    }

    /** Meters that go nowhere: for a service nobody scrapes (tests, tools). */
    public static AlertMeters none() {
        return new AlertMeters(new CompositeMeterRegistry());
    }

    /** Registers {@code toolformer_alerts_firing} for every rule, counted over the live view {@code firing}. */
    public void bindFiring(Iterable<AlertRule> rules, Supplier<Map<String, AlertEvent>> firing) {
        for (AlertRule rule : rules) {
            Gauge.builder(FIRING, firing, f -> f.get().values().stream()
                            .filter(a -> a.getRule().equals(rule.name())).count())
                    .description("Alerts firing now, by rule (the whole cluster's: aggregate with max)")
                    .tags("rule", rule.name(), "severity", rule.severity())
                    .strongReference(true) // the view outlives nothing else that holds this supplier
                    .register(registry);
        }
    }

    public void transition(AlertEvent alert) {
        Counter.builder(TRANSITIONS).description("Alert events handled by the incident responder, by state entered")
                .tags("rule", alert.getRule(), "state", alert.getState().name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
    }

    public void notification(String receiver, boolean sent) {
        Counter.builder(NOTIFICATIONS).description("Grouped notifications sent, or failed after their retries")
                .tags("receiver", receiver, "result", sent ? "sent" : "failed")
                .register(registry).increment();
    }

    public void action(String action, ActionOutcome outcome) {
        Counter.builder(ACTIONS).description("Incident actions recorded, by action and outcome")
                .tags("action", action, "outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
    }
}
