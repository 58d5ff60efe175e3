package dev.toolformer.analytics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import dev.toolformer.analytics.internal.CostAccumulator;
import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.analytics.internal.SpeculationAccumulator;
import dev.toolformer.analytics.internal.SpeculationResolution;
import dev.toolformer.common.result.ToolStatuses;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The analytics topology. Results of {@code toolformer.results}, deduplicated by request_id, become
 * per-window SLO indicators on {@code toolformer.slo} (per tool and provider and globally, see
 * {@link SloKeys}), burn rates of the SLOs on {@code toolformer.burn-rates} ({@link BurnRateProcessor}),
 * cost windows per provider and model on {@code toolformer.cost} ({@link CostAggregation}) and, joined
 * with {@code toolformer.speculation-outcomes}, speculation accuracy on {@code toolformer.speculation}
 * ({@link SpeculationAggregation}): both sides of that join are re-partitioned by request_id first, so
 * outcomes may be written by any producer with any partitioner (results still need all of a request's
 * results on one partition, for deduplication). Heartbeats become executor health on
 * {@code toolformer.health} ({@link HealthProcessor}). See {@code analytics/README-aggregates.md} for how
 * to read each topic.
 *
 * <p>Late results are counted while their window is within its grace period (the window's open
 * record is re-emitted); later ones are dropped, and Streams counts them in its
 * {@code dropped-records} metric. A window closes when stream time, which only moves with results,
 * passes its end plus grace: with no new results its final record waits for the next one.
 *
 * <p>Open-window updates leave through the record cache, which flushes at every commit (100 ms under
 * exactly-once): a burst of results within one commit interval is emitted as its last state.
 */
public final class AnalyticsTopology {
    /** The SLO window store, for interactive queries. */
    static final String SLO_STORE = "slo-windows";
    static final String RESULT_IDS_STORE = "result-ids";
    static final String SPECULATION_IDS_STORE = "speculation-ids";
    static final String BURN_BUCKETS_STORE = "burn-rate-buckets";
    static final String BURN_RATES_STORE = "burn-rates";
    static final String COST_1M_STORE = "cost-1m-windows";
    static final String COST_1H_STORE = "cost-1h-windows";
    static final String SPECULATION_STORE = "speculation-windows";
    static final String HEALTH_STORE = "executor-health";
    /** Positions of the result fields that {@code results-slim} drops (the generated record has no setters). */
    private static final int OUTPUT_JSON = ToolResult.getClassSchema().getField("output_json").pos();
    private static final int ERROR = ToolResult.getClassSchema().getField("error").pos();
    /** How far back interactive queries can read the one-minute windows. */
    static final Duration QUERYABLE_HISTORY = Duration.ofHours(1);

    private AnalyticsTopology() {
    }

    public static Topology build(AnalyticsConfig config) {
        return build(config, new LongAdder());
    }

    /**
     * The topology, counting in {@code clamped} the input records whose event time was clamped to the broker's
     * append time (see {@link EventTimeExtractor}).
     */
    public static Topology build(AnalyticsConfig config, LongAdder clamped) {
        return build(config, clamped, window -> { });
    }

    /**
     * The topology, as {@link #build(AnalyticsConfig, LongAdder)}, also handing every final (closed) speculation
     * window to {@code finalSpeculation} as it is emitted: what {@link AnalyticsMeters} observes as
     * {@code speculation_accuracy_ratio}. A task that aborts its transaction and re-runs may hand a window twice.
     */
    public static Topology build(AnalyticsConfig config, LongAdder clamped,
                                 Consumer<SpeculationWindow> finalSpeculation) {
        StreamsBuilder builder = new StreamsBuilder();
        EventTimeExtractor eventTime = new EventTimeExtractor(config.clockSkewTolerance(), false, clamped);
        builder.addStateStore(Deduplicator.store(RESULT_IDS_STORE, config.dedupRetention()));
        builder.addStateStore(Deduplicator.store(SPECULATION_IDS_STORE, config.dedupRetention()));
        builder.addStateStore(BurnRateProcessor.bucketStore());
        builder.addStateStore(BurnRateProcessor.latestStore());
        builder.addStateStore(HealthProcessor.store());

        KStream<String, ToolResult> results = builder
                // Event time is finished_at, so a result lands in the minute it finished, not when it was published.
                .stream(Topics.RESULTS.name(), Consumed.with(Topics.RESULTS.keySerde(), Topics.RESULTS.valueSerde())
                        .withTimestampExtractor(eventTime)
                        .withName("results-source"))
                // A request re-run after an executor crash may have two results: only the first counts.
                .processValues(() -> new Deduplicator<>(RESULT_IDS_STORE, config.dedupRetention(),
                        ToolResult::getRequestId), Named.as("results-dedup"), RESULT_IDS_STORE)
                // Nothing downstream reads the output and error bodies, which can be large. Dropped in place: each record's
                // value is decoded afresh and only this node receives it (a copy was ~6 % of the stream thread's time).
                .mapValues(result -> {
                    result.put(OUTPUT_JSON, null);
                    result.put(ERROR, null);
                    return result;
                }, Named.as("results-slim"));
        slo(results, config);
        cost(results, config);
        speculation(builder, results, config, eventTime, finalSpeculation);
        health(builder, config, new EventTimeExtractor(config.clockSkewTolerance(), true, clamped));
        return builder.build();
    }

    /** SLO windows to toolformer.slo, and the global windows' counts to the burn rates. */
    static void slo(KStream<String, ToolResult> results, AnalyticsConfig config) {
        Serde<String> keys = Topics.RESULTS.keySerde();
        Serde<ToolResult> values = Topics.RESULTS.valueSerde();
        long thresholdMs = config.latencyThreshold().toMillis();
        KTable<Windowed<String>, SloAccumulator> windows = results
                // Each result counts for its own tool/provider and for the global figures.
                .flatMap((requestId, result) -> List.of(KeyValue.pair(SloKeys.group(result), result),
                        KeyValue.pair(SloKeys.GLOBAL, result)), Named.as("slo-fan-out"))
                // Repartition by group, so every instance owns whole groups and counts stay exact when scaled out.
                .repartition(Repartitioned.with(keys, values).withName("slo-group"))
                .groupByKey(Grouped.with(keys, values))
                // Tumbling windows; the grace period is how long a window still accepts late results.
                .windowedBy(TimeWindows.ofSizeAndGrace(config.windowSize(), config.grace()))
                // Counts and sketches per window, in a fault-tolerant store (changelogged, exactly-once).
                .aggregate(SloAggregation::empty, (group, result, acc) -> SloAggregation.add(result, acc, thresholdMs),
                        Named.as("slo-aggregate"),
                        Materialized.<String, SloAccumulator, WindowStore<Bytes, byte[]>>as(SLO_STORE)
                                .withKeySerde(keys)
                                .withValueSerde(AvroSerde.of(SloAccumulator.class))
                                .withRetention(queryable(config)));
        KStream<Windowed<String>, SloAccumulator> updates = windows.toStream(Named.as("slo-updates"));

        // Exactly one final record per window, once no late result can change it any more.
        KStream<String, SloWindow> slo = windows
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded())
                        .withName("slo-until-window-closes"))
                .toStream(Named.as("slo-finals"))
                .process(() -> new SloWindowEmitter(true), Named.as("slo-final-windows"));
        if (config.emitUpdates()) {
            // Open windows too, for live dashboards; consumers tell them apart by is_final.
            slo = updates.process(() -> new SloWindowEmitter(false), Named.as("slo-update-windows"))
                    .merge(slo, Named.as("slo-merge"));
        }
        slo.to(Topics.SLO.name(), Produced.with(Topics.SLO.keySerde(), Topics.SLO.valueSerde()).withName("slo-sink"));

        // The global windows are the burn rates' buckets; the burn rates are published each wall-clock minute.
        updates.process(() -> new BurnRateProcessor(config), Named.as("burn-rates"), BURN_BUCKETS_STORE,
                        BURN_RATES_STORE)
                .to(Topics.BURN_RATES.name(), Produced.with(Topics.BURN_RATES.keySerde(),
                        Topics.BURN_RATES.valueSerde()).withName("burn-rates-sink"));
    }

    /** One-minute and one-hour cost windows per provider/model to toolformer.cost. */
    static void cost(KStream<String, ToolResult> results, AnalyticsConfig config) {
        Serde<String> keys = Topics.RESULTS.keySerde();
        Serde<ToolResult> values = Topics.RESULTS.valueSerde();
        KGroupedStream<String, ToolResult> byModel = results
                // Calls that never reached a provider cost nothing: counted, they would lower the cost per request
                // during an outage.
                .filter((requestId, result) -> ToolStatuses.reachedProvider(result.getStatus()), Named.as("cost-reached-provider"))
                .selectKey((requestId, result) -> CostAggregation.group(result), Named.as("cost-key"))
                .repartition(Repartitioned.with(keys, values).withName("cost-group"))
                .groupByKey(Grouped.with(keys, values));
        // The hour windows are kept 24 h longer than they are open: they are the baseline of later windows.
        Duration hourRetention = CostAggregation.HOUR.plus(CostAggregation.TRAILING).plus(config.grace())
                .plus(CostAggregation.HOUR);
        // The hour store first: every cost emitter reads its baseline from it.
        var hours = costWindows(byModel, CostAggregation.HOUR, COST_1H_STORE, hourRetention, config);
        var minutes = costWindows(byModel, CostAggregation.MINUTE, COST_1M_STORE, queryable(config), config);
        emitCost(minutes, COST_1M_STORE, CostAggregation.label(CostAggregation.MINUTE), config);
        emitCost(hours, COST_1H_STORE, CostAggregation.label(CostAggregation.HOUR), config);
    }

    private static KTable<Windowed<String>, CostAccumulator> costWindows(
            KGroupedStream<String, ToolResult> byModel, Duration size, String store, Duration retention,
            AnalyticsConfig config) {
        return byModel.windowedBy(TimeWindows.ofSizeAndGrace(size, config.grace()))
                .aggregate(CostAggregation::empty, (group, result, acc) -> CostAggregation.add(result, acc),
                        Named.as(store + "-aggregate"),
                        Materialized.<String, CostAccumulator, WindowStore<Bytes, byte[]>>as(store)
                                .withKeySerde(Topics.RESULTS.keySerde())
                                .withValueSerde(AvroSerde.of(CostAccumulator.class))
                                .withRetention(retention));
    }

    /** Final and (configurable) open records of the windows in store {@code name}; all read the hour store. */
    private static void emitCost(KTable<Windowed<String>, CostAccumulator> windows, String name, String label,
                                 AnalyticsConfig config) {
        KStream<String, CostWindow> cost = windows
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded())
                        .withName(name + "-until-window-closes"))
                .toStream(Named.as(name + "-finals"))
                .process(() -> new CostWindowEmitter(label, true), Named.as(name + "-final-windows"), COST_1H_STORE);
        if (config.emitUpdates()) {
            cost = windows.toStream(Named.as(name + "-updates"))
                    .process(() -> new CostWindowEmitter(label, false), Named.as(name + "-update-windows"),
                            COST_1H_STORE)
                    .merge(cost, Named.as(name + "-merge"));
        }
        cost.to(Topics.COST.name(), Produced.with(Topics.COST.keySerde(), Topics.COST.valueSerde())
                .withName(name + "-sink"));
    }

    /** Speculative results joined with their outcomes, per tool and window, to toolformer.speculation. */
    static void speculation(StreamsBuilder builder, KStream<String, ToolResult> results, AnalyticsConfig config,
                            EventTimeExtractor eventTime, Consumer<SpeculationWindow> finalSpeculation) {
        Serde<String> keys = Topics.RESULTS.keySerde();
        Serde<ToolResult> resultValues = Topics.RESULTS.valueSerde();
        Serde<SpeculationOutcome> outcomeValues = Topics.SPECULATION_OUTCOMES.valueSerde();
        Serde<SpeculationResolution> resolutions = AvroSerde.of(SpeculationResolution.class);
        // Outcomes come from agents in any language, whose producers partition request ids their own way (librdkafka
        // hashes with CRC32, Java with murmur2): re-partitioning both sides through Streams' own producer is what
        // brings a request's result and its outcome to the same join task, whatever wrote the source topics.
        KStream<String, SpeculationOutcome> outcomes = builder.stream(Topics.SPECULATION_OUTCOMES.name(),
                        Consumed.with(Topics.SPECULATION_OUTCOMES.keySerde(), outcomeValues)
                                .withTimestampExtractor(eventTime)
                                .withName("outcomes-source"))
                .repartition(Repartitioned.with(keys, outcomeValues).withName("speculation-outcomes-by-id"));
        // An unresolved call reaches the windows one speculation window plus grace after it finished; the second
        // grace absorbs the skew between the join's tasks.
        Duration lateness = config.speculationWindow().plus(config.grace()).plus(config.grace());
        KTable<Windowed<String>, SpeculationAccumulator> windows = results
                .filter((requestId, result) -> result.getSpeculative(), Named.as("speculative-results"))
                .repartition(Repartitioned.with(keys, resultValues).withName("speculation-results-by-id"))
                // Both sides keyed by request_id and co-partitioned; no outcome within the window (either side) is
                // unresolved.
                .leftJoin(outcomes, SpeculationAggregation::resolve,
                        JoinWindows.ofTimeDifferenceAndGrace(config.speculationWindow(), config.grace()),
                        StreamJoined.with(keys, resultValues, outcomeValues)
                                .withName("speculation-join").withStoreName("speculation-join"))
                // A repeated outcome would join twice: the first resolution of a request counts.
                .processValues(() -> new Deduplicator<>(SPECULATION_IDS_STORE, config.dedupRetention(),
                        SpeculationResolution::getRequestId), Named.as("speculation-dedup"), SPECULATION_IDS_STORE)
                .process(SpeculationFanOut::new, Named.as("speculation-fan-out"))
                .repartition(Repartitioned.with(keys, resolutions).withName("speculation-group"))
                .groupByKey(Grouped.with(keys, resolutions))
                .windowedBy(TimeWindows.ofSizeAndGrace(config.windowSize(), lateness))
                .aggregate(SpeculationAggregation::empty, (tool, resolution, acc) ->
                                SpeculationAggregation.add(resolution, acc), Named.as("speculation-aggregate"),
                        Materialized.<String, SpeculationAccumulator, WindowStore<Bytes, byte[]>>as(SPECULATION_STORE)
                                .withKeySerde(keys)
                                .withValueSerde(AvroSerde.of(SpeculationAccumulator.class))
                                .withRetention(queryable(config).plus(lateness)));
        KStream<String, SpeculationWindow> speculation = windows
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded())
                        .withName("speculation-until-window-closes"))
                .toStream(Named.as("speculation-finals"))
                .process(() -> speculationEmitter(true), Named.as("speculation-final-windows"))
                .peek((tool, window) -> finalSpeculation.accept(window), Named.as("speculation-final-observer"));
        if (config.emitUpdates()) {
            speculation = windows.toStream(Named.as("speculation-updates"))
                    .process(() -> speculationEmitter(false), Named.as("speculation-update-windows"))
                    .merge(speculation, Named.as("speculation-merge"));
        }
        speculation.to(Topics.SPECULATION.name(), Produced.with(Topics.SPECULATION.keySerde(),
                Topics.SPECULATION.valueSerde()).withName("speculation-sink"));
    }

    private static WindowEmitter<SpeculationAccumulator, SpeculationWindow> speculationEmitter(boolean isFinal) {
        return new WindowEmitter<>(SpeculationAggregation::window, SpeculationAggregation::toSpeculationWindow,
                isFinal);
    }

    /** Executor health from heartbeats to the compacted toolformer.health. */
    static void health(StreamsBuilder builder, AnalyticsConfig config, EventTimeExtractor eventTime) {
        builder.stream(Topics.HEARTBEATS.name(), Consumed.with(Topics.HEARTBEATS.keySerde(),
                                Topics.HEARTBEATS.valueSerde())
                        .withTimestampExtractor(eventTime)
                        .withName("heartbeats-source"))
                .process(() -> new HealthProcessor(config), Named.as("executor-health"), HEALTH_STORE)
                .to(Topics.HEALTH.name(), Produced.with(Topics.HEALTH.keySerde(), Topics.HEALTH.valueSerde())
                        .withName("health-sink"));
    }

    /** Retention of a window store that interactive queries read: the last hour, and every open window. */
    private static Duration queryable(AnalyticsConfig config) {
        Duration open = config.windowSize().plus(config.grace());
        return QUERYABLE_HISTORY.compareTo(open) > 0 ? QUERYABLE_HISTORY : open;
    }
}
