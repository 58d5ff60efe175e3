package dev.toolformer.alerts;

import dev.toolformer.common.topic.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/** The alert processor's Kafka Streams topology: SLO windows in, alert transitions out. */
public final class AlertTopology {

    private AlertTopology() {
    }

    /** Reads toolformer.slo, writes toolformer.alerts; state in the changelogged store "alert-state". */
    public static Topology build(AlertConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.SLO.name(), Consumed.with(Topics.SLO.keySerde(), Topics.SLO.valueSerde())
                        .withName("slo-source"))
                // The input key includes the window start, but alert state is per label set: every window of
                // one tool/provider must reach the same task, whatever the number of instances.
                .selectKey((key, window) -> window.getTool() + "|" + window.getProvider(),
                        Named.as("slo-key-by-labels"))
                .repartition(Repartitioned.with(Serdes.String(), Topics.SLO.valueSerde()).withName("slo-by-labels"))
                // Rules → lifecycle transitions, keyed by fingerprint.
                .process(AlertEvaluator.supplier(config.rules()), Named.as("alert-evaluate"))
                .to(Topics.ALERTS.name(), Produced.with(Topics.ALERTS.keySerde(), Topics.ALERTS.valueSerde())
                        .withName("alerts-sink"));
        return builder.build();
    }
}
