package dev.toolformer.alerts;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.SloWindow;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Evaluates every matching rule on each SLO window and forwards only lifecycle transitions, keyed by
 * fingerprint. Alert state lives in a persistent, changelogged store, so a restart neither re-fires
 * nor forgets an alert.
 */
final class AlertEvaluator implements Processor<String, SloWindow, String, AlertEvent> {
    static final String STORE = "alert-state";

    private final List<AlertRule> rules;
    private ProcessorContext<String, AlertEvent> context;
    private KeyValueStore<String, AlertStatus> store;

    private AlertEvaluator(List<AlertRule> rules) {
        this.rules = rules;
    }

    static ProcessorSupplier<String, SloWindow, String, AlertEvent> supplier(AlertRules rules) {
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, SloWindow, String, AlertEvent> get() {
                return new AlertEvaluator(rules.rules());
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                // Logging is on by default for Stores builders: the changelog is what restores state.
                return Set.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE),
                        Serdes.String(), new AlertStatusSerde()));
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, AlertEvent> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, SloWindow> record) {
        SloWindow window = record.value();
        Map<String, String> labels = Map.of("tool", window.getTool(), "provider", window.getProvider());
        for (AlertRule rule : rules) {
            if (rule.matches(labels)) {
                evaluate(rule, labels, window, record);
            }
        }
    }

    private void evaluate(AlertRule rule, Map<String, String> labels, SloWindow window,
                          Record<String, SloWindow> record) {
        String fingerprint = rule.fingerprint(labels);
        double value = rule.valueOf(window);
        AlertStatus current = store.get(fingerprint);
        AlertStatus.Step step = AlertStatus.step(current, rule.holds(value), window.getWindowEnd(),
                rule.forDuration());
        if (!step.next().equals(current)) {
            store.put(fingerprint, step.next());
        }
        if (step.transition() != null) {
            AlertEvent event = event(rule, fingerprint, labels, step.transition(), value, step.activeSince(),
                    window.getWindowEnd());
            context.forward(record.withKey(fingerprint).withValue(event));
        }
    }

    private static AlertEvent event(AlertRule rule, String fingerprint, Map<String, String> labels, AlertState state,
                                    double value, Instant activeSince, Instant eventTime) {
        return AlertEvent.newBuilder()
                .setFingerprint(fingerprint)
                .setRule(rule.name())
                .setState(state)
                .setSeverity(rule.severity())
                .setLabels(Map.of("tool", labels.get("tool"), "provider", labels.get("provider"),
                        "alertname", rule.name(), "severity", rule.severity()))
                .setAnnotations(rule.render(labels, value))
                .setValue(value)
                .setThreshold(rule.threshold())
                .setActiveSince(activeSince)
                .setEventTime(eventTime)
                .setSourceTopic(Topics.SLO.name())
                .build();
    }
}
