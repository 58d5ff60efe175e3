package dev.toolformer.bench.harness;

import java.io.PrintStream;
import java.util.function.LongSupplier;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars on stderr (stdout stays for the table and JSON), one per measured step; or none. */
public final class Progress {
    private final PrintStream err;
    private final boolean enabled;

    public Progress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    /** A bar for {@code task} that follows {@code done} up to {@code max} until closed. */
    Bar bar(String task, long max, String unit, LongSupplier done) {
        if (!enabled) {
            return () -> { };
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(String.format("%-22s", task))
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(unit, 1)
                .setUpdateIntervalMillis(250)
                .setMaxRenderedLength(100)
                .setConsumer(new ConsoleProgressBarConsumer(err))
                .build();
        Thread follower = Thread.ofPlatform().name("bench-progress").daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                bar.stepTo(Math.min(done.getAsLong(), max));
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return () -> {
            follower.interrupt();
            try {
                follower.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            bar.stepTo(Math.min(done.getAsLong(), max));
            bar.close();
        };
    }

    /** A line about what happens next, unless progress is off. */
    public void note(String message) {
        if (enabled) {
            err.println(message);
        }
    }

    /** An open progress bar. */
    interface Bar extends AutoCloseable {
        @Override
        void close();
    }
}
