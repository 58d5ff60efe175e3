package dev.toolformer.analytics;

import java.util.List;

import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The analytics topology: results of {@code toolformer.results} become per-window SLO indicators on
 * {@code toolformer.slo}, per tool and provider and globally (see {@link SloKeys} for the keys).
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
    /** The window store, for interactive queries. */
    static final String SLO_STORE = "slo-windows";

    private AnalyticsTopology() {
    }

    public static Topology build(AnalyticsConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        Serde<String> keys = Topics.RESULTS.keySerde();
        Serde<ToolResult> results = Topics.RESULTS.valueSerde();

        KTable<Windowed<String>, SloAccumulator> windows = builder
                // Event time is finished_at, so a result lands in the minute it finished, not when it was published.
                .stream(Topics.RESULTS.name(), Consumed.with(keys, results)
                        .withTimestampExtractor(new FinishedAtTimestampExtractor())
                        .withName("results-source"))
                // Each result counts for its own tool/provider and for the global figures; the output and
                // error bodies are dropped first, as nothing downstream reads them and they can be large.
                .flatMap((requestId, result) -> {
                    ToolResult slim = ToolResult.newBuilder(result).setOutputJson(null).setError(null).build();
                    return List.of(KeyValue.pair(SloKeys.group(result), slim), KeyValue.pair(SloKeys.GLOBAL, slim));
                }, Named.as("slo-fan-out"))
                // Repartition by group, so every instance owns whole groups and counts stay exact when scaled out.
                .groupByKey(Grouped.with("slo-group", keys, results))
                // Tumbling windows; the grace period is how long a window still accepts late results.
                .windowedBy(TimeWindows.ofSizeAndGrace(config.windowSize(), config.grace()))
                // Counts and sketches per window, in a fault-tolerant store (changelogged, exactly-once).
                .aggregate(SloAggregation::empty, (group, result, acc) -> SloAggregation.add(result, acc),
                        Named.as("slo-aggregate"),
                        Materialized.<String, SloAccumulator, WindowStore<Bytes, byte[]>>as(SLO_STORE)
                                .withKeySerde(keys)
                                .withValueSerde(AvroSerde.of(SloAccumulator.class)));

        // Exactly one final record per window, once no late result can change it any more.
        KStream<String, SloWindow> slo = windows
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded())
                        .withName("slo-until-window-closes"))
                .toStream(Named.as("slo-finals"))
                .process(() -> new SloWindowEmitter(true), Named.as("slo-final-windows"));
        if (config.emitUpdates()) {
            // Open windows too, for live dashboards; consumers tell them apart by is_final.
            slo = windows.toStream(Named.as("slo-updates"))
                    .process(() -> new SloWindowEmitter(false), Named.as("slo-update-windows"))
                    .merge(slo, Named.as("slo-merge"));
        }
        slo.to(Topics.SLO.name(), Produced.with(Topics.SLO.keySerde(), Topics.SLO.valueSerde()).withName("slo-sink"));
        return builder.build();
    }
}
