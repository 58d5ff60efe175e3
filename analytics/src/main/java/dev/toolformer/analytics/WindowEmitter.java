package dev.toolformer.analytics;

import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Turns a window's accumulator into its public record and key. A processor rather than a mapper so that
 * {@code emitted_at} is the task's wall-clock time, which tests can drive.
 */
final class WindowEmitter<A, V> implements Processor<Windowed<String>, A, String, V> {
    /** Builds the public record: group, window, accumulator, is_final, emitted_at in ms. */
    interface ToRecord<A, V> {
        V apply(String group, Window window, A acc, boolean isFinal, long nowMs);
    }

    /** Builds the output key from the group and the window start in ms. */
    interface ToKey {
        String apply(String group, long windowStartMs);
    }

    private final ToKey toKey;
    private final ToRecord<A, V> toRecord;
    private final boolean isFinal;
    private ProcessorContext<String, V> context;

    WindowEmitter(ToKey toKey, ToRecord<A, V> toRecord, boolean isFinal) {
        this.toKey = toKey;
        this.toRecord = toRecord;
        this.isFinal = isFinal;
    }

    @Override
    public void init(ProcessorContext<String, V> context) {
        this.context = context;
    }

    @Override
    public void process(Record<Windowed<String>, A> record) {
        if (record.value() == null) {
            return;
        }
        String group = record.key().key();
        Window window = record.key().window();
        V value = toRecord.apply(group, window, record.value(), isFinal, context.currentSystemTimeMs());
        context.forward(record.withKey(toKey.apply(group, window.start())).withValue(value));
    }
}
