package dev.toolformer.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Blocks until SIGINT/SIGTERM. The JVM halts as soon as its shutdown hooks return, so the hook waits
 * (bounded) until the caller reports it has closed everything cleanly.
 */
final class UntilStopped implements AutoCloseable {
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    UntilStopped() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                closed.await(90, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "toolformer-shutdown"));
    }

    /** Waits for the signal. */
    void await() throws InterruptedException {
        stopped.await();
    }

    /** Waits for the signal up to {@code timeout}; true if it came. */
    boolean await(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isStopped() {
        return stopped.getCount() == 0;
    }

    /** Lets the shutdown hook return: everything is closed. */
    @Override
    public void close() {
        closed.countDown();
    }

}
