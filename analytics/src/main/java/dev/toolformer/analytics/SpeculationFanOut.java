package dev.toolformer.analytics;

import dev.toolformer.analytics.internal.SpeculationResolution;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends each resolution to its tool's group and to the all-tools group ({@value SloKeys#ALL}), timed at
 * the speculative call's {@code finished_at}: a call counts in the window it finished in, whenever its
 * outcome came (the join's output time is the later of result and outcome).
 */
final class SpeculationFanOut implements Processor<String, SpeculationResolution, String, SpeculationResolution> {
    private ProcessorContext<String, SpeculationResolution> context;

    @Override
    public void init(ProcessorContext<String, SpeculationResolution> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, SpeculationResolution> record) {
        SpeculationResolution resolution = record.value();
        Record<String, SpeculationResolution> atFinish =
                record.withTimestamp(resolution.getFinishedAt().toEpochMilli());
        context.forward(atFinish.withKey(resolution.getTool()));
        context.forward(atFinish.withKey(SloKeys.ALL));
    }
}
