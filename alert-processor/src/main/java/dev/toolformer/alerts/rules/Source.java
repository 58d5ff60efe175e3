package dev.toolformer.alerts.rules;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationWindow;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * An aggregate topic alert rules can read: its labels (what one alert series is), its event time and
 * the fields a rule can test. {@link Kind#STATE} sources hold their last value until replaced, so a
 * pending alert on them can become firing on wall-clock time when nothing new arrives.
 */
public enum Source {
    SLO(Topics.SLO, Kind.WINDOW, List.of("tool", "provider"), (r, ts) -> ((SloWindow) r).getWindowEnd()) {
        @Override
        public Map<String, String> labels(SpecificRecord r) {
            SloWindow w = (SloWindow) r;
            return ordered("tool", w.getTool(), "provider", w.getProvider());
        }
    },
    BURN_RATES(Topics.BURN_RATES, Kind.WINDOW, List.of("slo"), (r, ts) -> ((BurnRate) r).getComputedAt()) {
        @Override
        public Map<String, String> labels(SpecificRecord r) {
            return ordered("slo", ((BurnRate) r).getSlo());
        }
    },
    COST(Topics.COST, Kind.WINDOW, List.of("provider", "model", "window_size"),
            (r, ts) -> ((CostWindow) r).getWindowEnd()) {
        @Override
        public Map<String, String> labels(SpecificRecord r) {
            CostWindow w = (CostWindow) r;
            return ordered("provider", w.getProvider(), "model", w.getModel(), "window_size", w.getWindowSize());
        }
    },
    SPECULATION(Topics.SPECULATION, Kind.WINDOW, List.of("tool"), (r, ts) -> ((SpeculationWindow) r).getWindowEnd()) {
        @Override
        public Map<String, String> labels(SpecificRecord r) {
            return ordered("tool", ((SpeculationWindow) r).getTool());
        }
    },
    // Health records are a table: the record time is when analytics last (re)stated the executor's state.
    HEALTH(Topics.HEALTH, Kind.STATE, List.of("executor"), (r, ts) -> ts) {
        @Override
        public Map<String, String> labels(SpecificRecord r) {
            return ordered("executor", ((ExecutorHealth) r).getExecutorId());
        }

        @Override
        public Optional<Map<String, String>> labelsOfKey(String key) {
            return Optional.of(ordered("executor", key));
        }
    };

    /** How values of a source relate to time. */
    public enum Kind {
        /** Each record describes one window; only arriving records move an alert. */
        WINDOW,
        /** A record states a value that holds until the next record for the same labels. */
        STATE
    }

    private final Topic<? extends SpecificRecord> topic;
    private final Kind kind;
    private final List<String> labelNames;
    private final BiFunction<SpecificRecord, Instant, Instant> eventTime;
    private final Set<String> numericFields;
    private final Set<String> symbolFields;

    Source(Topic<? extends SpecificRecord> topic, Kind kind, List<String> labelNames,
           BiFunction<SpecificRecord, Instant, Instant> eventTime) {
        this.topic = topic;
        this.kind = kind;
        this.labelNames = labelNames;
        this.eventTime = eventTime;
        Schema schema = schemaOf(topic);
        this.numericFields = fields(schema, true);
        this.symbolFields = fields(schema, false);
    }

    public abstract Map<String, String> labels(SpecificRecord record);

    /**
     * The series a tombstone (a null value) of this compacted source ends, from the record key: the key of
     * {@code toolformer.health} is the executor id. Empty for sources whose key does not name one series;
     * their tombstones are ignored.
     */
    public Optional<Map<String, String>> labelsOfKey(String key) {
        return Optional.empty();
    }

    public Topic<? extends SpecificRecord> topic() {
        return topic;
    }

    public Kind kind() {
        return kind;
    }

    /** The label names of one series, in order. */
    List<String> labelNames() {
        return labelNames;
    }

    /** The event time of a record; {@code recordTime} is its Kafka timestamp. */
    public Instant eventTime(SpecificRecord record, Instant recordTime) {
        return eventTime.apply(record, recordTime);
    }

    /** Fields of type long, int or double (nullable ones included); a null value reads as NaN. */
    Set<String> numericFields() {
        return numericFields;
    }

    /** Fields of type string or enum, compared with == and !=. */
    Set<String> symbolFields() {
        return symbolFields;
    }

    static Optional<Source> ofTopic(String name) {
        return Arrays.stream(values()).filter(s -> s.topic.baseName().equals(name)).findFirst();
    }

    /** {@code "toolformer.slo", ...}: the sources whose records have the numeric field {@code field}. */
    static String withNumericField(String field) {
        return Arrays.stream(values()).filter(s -> s.numericFields.contains(field))
                .map(s -> "\"" + s.topic.baseName() + "\"").collect(Collectors.joining(", "));
    }

    /** {@code "toolformer.slo", ...} for error messages. */
    static String topicNames() {
        return Arrays.stream(values()).map(s -> "\"" + s.topic.baseName() + "\"").collect(Collectors.joining(", "));
    }

    private static Map<String, String> ordered(String... keyValues) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            labels.put(keyValues[i], keyValues[i + 1]);
        }
        return labels;
    }

    private static Schema schemaOf(Topic<? extends SpecificRecord> topic) {
        try {
            return (Schema) topic.valueType().getMethod("getClassSchema").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no Avro schema on " + topic.valueType(), e);
        }
    }

    private static Set<String> fields(Schema schema, boolean numeric) {
        Set<String> names = new TreeSet<>();
        for (Schema.Field f : schema.getFields()) {
            Schema s = nonNull(f.schema());
            if (s.getLogicalType() != null) {
                continue;
            }
            boolean isNumber = s.getType() == Schema.Type.DOUBLE || s.getType() == Schema.Type.LONG
                    || s.getType() == Schema.Type.INT;
            boolean isSymbol = s.getType() == Schema.Type.STRING || s.getType() == Schema.Type.ENUM;
            if (numeric ? isNumber : isSymbol) {
                names.add(f.name());
            }
        }
        return Collections.unmodifiableSet(names);
    }

    private static Schema nonNull(Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        List<Schema> types = schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
        return types.size() == 1 ? types.get(0) : schema;
    }
}
