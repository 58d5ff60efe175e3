package dev.toolformer.analytics;

import java.time.Instant;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.toolformer.analytics.internal.SloAccumulator;
import dev.toolformer.schema.SloWindow;
import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Turns a window's accumulator into the public {@link SloWindow} record, keyed by
 * {@link SloKeys#window}. A processor rather than a mapper so that {@code emitted_at} is the task's
 * wall-clock time, which tests can drive.
 */
final class SloWindowEmitter implements Processor<Windowed<String>, SloAccumulator, String, SloWindow> {
    private final boolean isFinal;
    private ProcessorContext<String, SloWindow> context;

    SloWindowEmitter(boolean isFinal) {
        this.isFinal = isFinal;
    }

    @Override
    public void init(ProcessorContext<String, SloWindow> context) {
        this.context = context;
    }

    @Override
    public void process(Record<Windowed<String>, SloAccumulator> record) {
        if (record.value() == null) {
            return;
        }
        String group = record.key().key();
        Window window = record.key().window();
        SloWindow value = toSloWindow(group, window, record.value(), isFinal, context.currentSystemTimeMs());
        context.forward(record.withKey(SloKeys.window(group, window.start())).withValue(value));
    }

    static SloWindow toSloWindow(String group, Window window, SloAccumulator acc, boolean isFinal, long nowMs) {
        long requests = SloAggregation.requests(acc);
        long eligible = SloAggregation.eligible(acc);
        double seconds = (window.end() - window.start()) / 1000.0;
        DDSketch latency = Sketches.decode(acc.getLatencySketch());
        DDSketch execution = Sketches.decode(acc.getExecutionSketch());
        return SloWindow.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(window.start()))
                .setWindowEnd(Instant.ofEpochMilli(window.end()))
                .setTool(SloKeys.tool(group))
                .setProvider(SloKeys.provider(group))
                .setIsFinal(isFinal)
                .setRequests(requests)
                .setSuccess(acc.getSuccess())
                .setErrors(acc.getErrors())
                .setTimeouts(acc.getTimeouts())
                .setCancelled(acc.getCancelled())
                .setRejected(acc.getRejected())
                .setUnavailable(acc.getUnavailable())
                .setErrorRate(eligible == 0 ? 0 : (double) SloAggregation.failed(acc) / eligible)
                .setAvailability(eligible == 0 ? 1 : 1 - (double) SloAggregation.unavailable(acc) / eligible)
                .setThroughputPerS(requests / seconds)
                .setLatencyP50Ms(Sketches.quantile(latency, 0.50))
                .setLatencyP95Ms(Sketches.quantile(latency, 0.95))
                .setLatencyP99Ms(Sketches.quantile(latency, 0.99))
                .setLatencyMaxMs(acc.getLatencyMaxMs())
                .setExecutionP50Ms(Sketches.quantile(execution, 0.50))
                .setExecutionP95Ms(Sketches.quantile(execution, 0.95))
                .setExecutionP99Ms(Sketches.quantile(execution, 0.99))
                .setExecutionMaxMs(acc.getExecutionMaxMs())
                // Compact, as DDSketch.encode writes it: the stored copy has values appended since it was compacted.
                .setLatencySketch(Sketches.encode(latency))
                .setEmittedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }
}
