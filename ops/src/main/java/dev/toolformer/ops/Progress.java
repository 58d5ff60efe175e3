package dev.toolformer.ops;

import java.io.PrintStream;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Where backup and restore report how far they are: a progress bar on stderr, or nothing. */
@FunctionalInterface
public interface Progress {
    /** No output. */
    Progress NONE = (task, total) -> new Bar() {
        @Override
        public void step(long n) {
        }

        @Override
        public void close() {
        }
    };

    /** Starts a bar for {@code task} of {@code total} units. */
    Bar start(String task, long total);

    /** One task's bar. */
    interface Bar extends AutoCloseable {
        void step(long n);

        @Override
        void close();
    }

    /** Text progress bars on {@code out} (stderr, so that stdout stays clean for JSON). */
    static Progress bars(PrintStream out) {
        return (task, total) -> {
            ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" records", 1).setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(out)).showSpeed().build();
            return new Bar() {
                @Override
                public void step(long n) {
                    bar.stepBy(n);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }
}
