package dev.toolformer.analytics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

import dev.toolformer.analytics.internal.CostAccumulator;
import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.analytics.internal.SpeculationAccumulator;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationWindow;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The latest aggregates, read from this instance's state stores (interactive queries), as the records of
 * the aggregate topics. Each instance holds the groups of the partitions it owns: with several instances
 * an answer is this instance's share (see {@code README-aggregates.md}). Windowed answers list the windows
 * whose start is within {@code [from, to]}; the one-minute windows are kept for an hour, the one-hour cost
 * windows for a day. {@code is_final} is true once the window's end plus grace has passed by the wall clock,
 * and {@code emitted_at} is the time of the query. Throws {@link InvalidStateStoreException} while the stores
 * are not queryable (starting, rebalancing, stopped). Thread-safe.
 */
public final class AnalyticsQueries {
    /** Where the stores come from: a running {@link KafkaStreams}, or a test driver. */
    interface StoreSource {
        <V> ReadOnlyWindowStore<String, V> windowStore(String name);

        <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name);
    }

    private final StoreSource stores;
    private final AnalyticsConfig config;
    private final LongSupplier clock;

    AnalyticsQueries(StoreSource stores, AnalyticsConfig config, LongSupplier clock) {
        this.stores = Objects.requireNonNull(stores, "stores == null");
        this.config = Objects.requireNonNull(config, "config == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
    }

    /** Queries over the local stores of {@code streams}, which runs {@link AnalyticsTopology} of {@code config}. */
    public static AnalyticsQueries of(KafkaStreams streams, AnalyticsConfig config) {
        Objects.requireNonNull(streams, "streams == null");
        return new AnalyticsQueries(new StoreSource() {
            @Override
            public <V> ReadOnlyWindowStore<String, V> windowStore(String name) {
                return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.windowStore()));
            }

            @Override
            public <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name) {
                return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
            }
        }, config, System::currentTimeMillis);
    }

    /** SLO windows per tool/provider and global ({@code *|*}), by window start, then tool and provider. */
    public List<SloWindow> slo(Instant from, Instant to) {
        long now = clock.getAsLong();
        List<SloWindow> out = new ArrayList<>();
        for (KeyValue<Windowed<String>, SloAccumulator> kv :
                this.<SloAccumulator>windows(AnalyticsTopology.SLO_STORE, from, to)) {
            Window window = kv.key.window();
            out.add(SloWindowEmitter.toSloWindow(kv.key.key(), window, kv.value, closed(window, now), now));
        }
        out.sort(Comparator.comparing(SloWindow::getWindowStart).thenComparing(SloWindow::getTool)
                .thenComparing(SloWindow::getProvider));
        return out;
    }

    /** The latest burn rates of each SLO, as last published. */
    public List<BurnRate> burnRates() {
        List<BurnRate> out = new ArrayList<>();
        ReadOnlyKeyValueStore<String, BurnRate> store = stores.keyValueStore(AnalyticsTopology.BURN_RATES_STORE);
        try (KeyValueIterator<String, BurnRate> it = store.all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
        }
        out.sort(Comparator.comparing(BurnRate::getSlo));
        return out;
    }

    /** One-minute then one-hour cost windows per provider/model, each by window start, provider and model. */
    public List<CostWindow> cost(Instant from, Instant to) {
        long now = clock.getAsLong();
        ReadOnlyWindowStore<String, CostAccumulator> hours = stores.windowStore(AnalyticsTopology.COST_1H_STORE);
        List<CostWindow> out = new ArrayList<>();
        for (String store : List.of(AnalyticsTopology.COST_1M_STORE, AnalyticsTopology.COST_1H_STORE)) {
            String label = store.equals(AnalyticsTopology.COST_1H_STORE) ? "1h" : "1m";
            List<CostWindow> sized = new ArrayList<>();
            for (KeyValue<Windowed<String>, CostAccumulator> kv : this.<CostAccumulator>windows(store, from, to)) {
                Window window = kv.key.window();
                sized.add(CostWindowEmitter.toCostWindow(kv.key.key(), label, window, kv.value,
                        baseline(hours, kv.key.key(), window.start()), closed(window, now), now));
            }
            sized.sort(Comparator.comparing(CostWindow::getWindowStart).thenComparing(CostWindow::getProvider)
                    .thenComparing(CostWindow::getModel));
            out.addAll(sized);
        }
        return out;
    }

    /** Speculation windows per tool and for all tools ({@code *}), by window start, then tool. */
    public List<SpeculationWindow> speculation(Instant from, Instant to) {
        long now = clock.getAsLong();
        long lateness = config.speculationWindow().plus(config.grace()).plus(config.grace()).toMillis();
        List<SpeculationWindow> out = new ArrayList<>();
        for (KeyValue<Windowed<String>, SpeculationAccumulator> kv :
                this.<SpeculationAccumulator>windows(AnalyticsTopology.SPECULATION_STORE, from, to)) {
            Window window = kv.key.window();
            out.add(SpeculationAggregation.toSpeculationWindow(kv.key.key(), window, kv.value,
                    window.end() + lateness <= now, now));
        }
        out.sort(Comparator.comparing(SpeculationWindow::getWindowStart).thenComparing(SpeculationWindow::getTool));
        return out;
    }

    /** The latest state of every executor this instance tracks, by executor id. */
    public List<ExecutorHealth> health() {
        List<ExecutorHealth> out = new ArrayList<>();
        ReadOnlyKeyValueStore<String, ExecutorHealth> store = stores.keyValueStore(AnalyticsTopology.HEALTH_STORE);
        try (KeyValueIterator<String, ExecutorHealth> it = store.all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
        }
        out.sort(Comparator.comparing(ExecutorHealth::getExecutorId));
        return out;
    }

    private <V> List<KeyValue<Windowed<String>, V>> windows(String store, Instant from, Instant to) {
        List<KeyValue<Windowed<String>, V>> out = new ArrayList<>();
        ReadOnlyWindowStore<String, V> windows = stores.windowStore(store);
        try (KeyValueIterator<Windowed<String>, V> it = windows.fetchAll(from, to)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    private static CostAccumulator baseline(ReadOnlyWindowStore<String, CostAccumulator> hours, String group,
                                            long startMs) {
        CostAccumulator sum = CostAggregation.empty();
        try (WindowStoreIterator<CostAccumulator> it = hours.fetch(group,
                Instant.ofEpochMilli(CostAggregation.baselineFirstHour(startMs)),
                Instant.ofEpochMilli(CostAggregation.baselineLastHour(startMs)))) {
            while (it.hasNext()) {
                sum = CostAggregation.plus(sum, it.next().value);
            }
        }
        return sum;
    }

    private boolean closed(Window window, long now) {
        return window.end() + config.grace().toMillis() <= now;
    }
}
