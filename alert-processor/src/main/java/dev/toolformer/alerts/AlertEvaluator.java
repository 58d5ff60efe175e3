package dev.toolformer.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.Expr;
import dev.toolformer.alerts.rules.Source;
import dev.toolformer.alerts.silence.SilenceStore;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.Silence;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Evaluates the rules of one source on each of its records and forwards only lifecycle transitions,
 * keyed by fingerprint. A record below a rule's {@code min_requests} is not evaluated by that rule at all:
 * the first updates of a new window must neither fire nor resolve anything. Alert state lives in a
 * persistent, changelogged store, so a restart neither re-fires nor forgets an alert. A wall-clock
 * punctuator fires absent-data rules, and promotes pending alerts and resolves alerts whose
 * {@code keep_firing_for} has run out on {@link Source.Kind#STATE} sources, which see no new record
 * while their state persists.
 */
public final class AlertEvaluator implements Processor<String, SpecificRecord, String, AlertEvent> {
    private final Source source;
    private final List<AlertRule> rules;
    private final Duration punctuateInterval;
    private ProcessorContext<String, AlertEvent> context;
    private KeyValueStore<String, AlertStatus> store;
    private KeyValueStore<String, Silence> silences;

    private AlertEvaluator(Source source, List<AlertRule> rules, Duration punctuateInterval) {
        this.source = source;
        this.rules = rules;
        this.punctuateInterval = punctuateInterval;
    }

    static String storeName(Source source) {
        return "alert-state-" + source.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static ProcessorSupplier<String, SpecificRecord, String, AlertEvent> supplier(Source source, List<AlertRule> rules,
                                                                                 Duration punctuateInterval) {
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, SpecificRecord, String, AlertEvent> get() {
                return new AlertEvaluator(source, rules, punctuateInterval);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                // Logging is on by default for Stores builders: the changelog is what restores state.
                return Set.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storeName(source)),
                        Serdes.String(), new AlertStatusSerde()));
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, AlertEvent> context) {
        this.context = context;
        this.store = context.getStateStore(storeName(source));
        this.silences = context.getStateStore(SilenceStore.NAME);
        if (rules.stream().anyMatch(this::needsPunctuation)) {
            context.schedule(punctuateInterval, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
        }
    }

    private boolean needsPunctuation(AlertRule rule) {
        return rule.expr() instanceof Expr.Absent || source.kind() == Source.Kind.STATE
                && (rule.forDuration().isPositive() || rule.keepFiringFor().isPositive());
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        if (record.value() == null) {
            source.labelsOfKey(record.key()).ifPresent(series -> gone(series, record.timestamp()));
            return;
        }
        Map<String, String> series = source.labels(record.value());
        Instant eventTime = source.eventTime(record.value(), Instant.ofEpochMilli(record.timestamp()));
        for (AlertRule rule : rules) {
            if (rule.matches(series) && rule.counts(record.value())) {
                if (rule.expr() instanceof Expr.Absent) {
                    seen(rule, series, record);
                } else {
                    evaluate(rule, series, eventTime, record);
                }
            }
        }
    }

    private void evaluate(AlertRule rule, Map<String, String> series, Instant eventTime,
                          Record<String, SpecificRecord> record) {
        String fingerprint = rule.fingerprint(series);
        double value = rule.expr().value(record.value());
        AlertStatus current = store.get(fingerprint);
        AlertStatus.Step step = AlertStatus.step(current, rule.expr().holds(record.value()), eventTime,
                rule.forDuration(), rule.keepFiringFor(), value, series);
        if (!step.next().equals(current)) {
            store.put(fingerprint, step.next());
        }
        if (step.transition() != null) {
            forward(rule, fingerprint, series, step.transition(), value, step.activeSince(), eventTime,
                    record.timestamp(), current == null ? null : current.phase());
        }
    }

    /** A record for an absent rule's series: remember when, and resolve the alert if it was firing. */
    private void seen(AlertRule rule, Map<String, String> series, Record<String, SpecificRecord> record) {
        String fingerprint = rule.fingerprint(series);
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        AlertStatus current = store.get(fingerprint);
        store.put(fingerprint, new AlertStatus(AlertStatus.Phase.INACTIVE, null, now, 0, series));
        if (current != null && current.phase() == AlertStatus.Phase.FIRING) {
            forward(rule, fingerprint, series, AlertState.RESOLVED, 0, current.activeSince(), now, record.timestamp(),
                    current.phase());
        }
    }

    /**
     * A tombstone: the series no longer exists (analytics forgot an executor that left or stayed down past
     * forget-after). Its alerts resolve, whatever their phase, and their state is dropped, so nothing fires
     * for something that is gone.
     */
    private void gone(Map<String, String> series, long timestamp) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        for (AlertRule rule : rules) {
            if (!rule.matches(series)) {
                continue;
            }
            String fingerprint = rule.fingerprint(series);
            AlertStatus current = store.get(fingerprint);
            if (current == null) {
                continue;
            }
            store.delete(fingerprint);
            if (current.phase() != AlertStatus.Phase.INACTIVE) {
                forward(rule, fingerprint, series, AlertState.RESOLVED, current.value(), current.activeSince(), now,
                        timestamp, current.phase());
            }
        }
    }

    private void punctuate(long wallClockMs) {
        Instant now = Instant.ofEpochMilli(wallClockMs);
        for (AlertRule rule : rules) {
            if (!needsPunctuation(rule)) {
                continue;
            }
            List<KeyValue<String, AlertStatus>> due = new ArrayList<>();
            try (KeyValueIterator<String, AlertStatus> it = store.prefixScan(rule.name() + "{",
                    Serdes.String().serializer())) {
                it.forEachRemaining(kv -> {
                    if (isDue(rule, kv.value, now)) {
                        due.add(kv);
                    }
                });
            }
            due.forEach(kv -> {
                if (kv.value.phase() == AlertStatus.Phase.FIRING) {
                    resolve(rule, kv.key, kv.value, now);
                } else {
                    fire(rule, kv.key, kv.value, now);
                }
            });
        }
    }

    private static boolean isDue(AlertRule rule, AlertStatus status, Instant now) {
        if (rule.expr() instanceof Expr.Absent absent) {
            return status.phase() == AlertStatus.Phase.INACTIVE
                    && !now.isBefore(status.lastEvaluated().plus(absent.duration()));
        }
        if (status.phase() == AlertStatus.Phase.FIRING) {
            return status.clearSince() != null && !now.isBefore(status.clearSince().plus(rule.keepFiringFor()));
        }
        return status.phase() == AlertStatus.Phase.PENDING
                && !now.isBefore(status.activeSince().plus(rule.forDuration()));
    }

    private void fire(AlertRule rule, String fingerprint, AlertStatus status, Instant now) {
        boolean absent = rule.expr() instanceof Expr.Absent;
        Instant since = absent ? status.lastEvaluated().plus(((Expr.Absent) rule.expr()).duration())
                : status.activeSince();
        double value = absent ? Duration.between(status.lastEvaluated(), now).toSeconds() : status.value();
        store.put(fingerprint, new AlertStatus(AlertStatus.Phase.FIRING, since, status.lastEvaluated(),
                status.value(), status.series()));
        forward(rule, fingerprint, status.series(), AlertState.FIRING, value, since, now, now.toEpochMilli(), null);
    }

    /** A state-source alert whose condition has not held for keep_firing_for, and no record came to say so. */
    private void resolve(AlertRule rule, String fingerprint, AlertStatus status, Instant now) {
        store.put(fingerprint, new AlertStatus(AlertStatus.Phase.INACTIVE, null, status.lastEvaluated(),
                status.value(), status.series()));
        forward(rule, fingerprint, status.series(), AlertState.RESOLVED, status.value(), status.activeSince(), now,
                now.toEpochMilli(), status.phase());
    }

    /** The annotation a RESOLVED event carries: the phase it left, PENDING or FIRING. */
    public static final String RESOLVED_FROM = "resolved_from";

    private void forward(AlertRule rule, String fingerprint, Map<String, String> series, AlertState state,
                         double value, Instant activeSince, Instant eventTime, long timestamp,
                         AlertStatus.Phase previous) {
        Map<String, String> labels = rule.alertLabels(series);
        Map<String, String> annotations = new HashMap<>(rule.render(series, value));
        if (state == AlertState.RESOLVED && previous != null) {
            annotations.put(RESOLVED_FROM, previous.name());
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        AlertEvent event = AlertEvent.newBuilder()
                .setFingerprint(fingerprint)
                .setRule(rule.name())
                .setState(state)
                .setSeverity(rule.severity())
                .setLabels(labels)
                .setAnnotations(annotations)
                .setValue(value)
                .setThreshold(rule.expr().threshold())
                .setActiveSince(activeSince)
                .setEventTime(eventTime)
                .setSilenced(SilenceStore.silenced(silences, labels, now))
                .setAcknowledged(SilenceStore.acknowledged(silences, fingerprint, activeSince, now))
                .setSourceTopic(rule.source())
                .build();
        context.forward(new Record<>(fingerprint, event, timestamp));
    }
}
