package dev.toolformer.executor;

import java.util.Objects;

import org.apache.kafka.common.TopicPartition;

/**
 * The handle of one request while it runs: how it is cancelled (a control command, a negative
 * speculation outcome: it finishes CANCELLED) or abandoned (its partition left this instance or the
 * executor stopped: it finishes without publishing, and the partition's next owner runs it again).
 */
final class Execution {
    /** Where a request is: RUNNING, then CANCELLED or ABANDONED (stopped), or FINISHED (its result on its way). */
    enum State {
        RUNNING, CANCELLED, ABANDONED, FINISHED;

        boolean isStopped() {
            return this == CANCELLED || this == ABANDONED;
        }
    }

    private final String requestId;
    private final TopicPartition partition;
    private State state = State.RUNNING;
    private Thread thread;
    /** What stops the request while it waits without a thread (an asynchronous attempt, its backoff), or null. */
    private Runnable onStop;
    private String cancelReason;
    private boolean inAttempt;
    private boolean expired;

    /** @param partition where the request was read from; null outside a consumer (tests) */
    Execution(String requestId, TopicPartition partition) {
        this.requestId = Objects.requireNonNull(requestId, "requestId == null");
        this.partition = partition;
    }

    String requestId() {
        return requestId;
    }

    TopicPartition partition() {
        return partition;
    }

    /** Binds the thread that runs the request; interrupts it at once if it was already stopped. */
    synchronized void runOn(Thread runner) {
        thread = runner;
        onStop = null;
        if (state.isStopped()) {
            runner.interrupt();
        }
    }

    /**
     * The request waits without a thread from now on, until a thread {@link #runOn resumes} it: a cancel or an
     * abandon runs {@code onStop} (once, on the stopping thread; it must be quick) instead of interrupting.
     *
     * @return false when the request is already stopped ({@code onStop} is not kept: the caller goes on as stopped)
     */
    synchronized boolean awaitWithoutThread(Runnable onStop) {
        if (state.isStopped()) {
            return false;
        }
        thread = null;
        this.onStop = Objects.requireNonNull(onStop, "onStop == null");
        return true;
    }

    /** Asks the request to finish CANCELLED; false when it already finished or was stopped. */
    boolean cancel(String reason) {
        Runnable stop;
        synchronized (this) {
            if (state != State.RUNNING) {
                return false;
            }
            state = State.CANCELLED;
            cancelReason = reason;
            stop = stop();
        }
        stop.run();
        return true;
    }

    /** Stops the request without a result; false when its result is already on its way. */
    boolean abandon() {
        Runnable stop;
        synchronized (this) {
            if (state == State.FINISHED) {
                return false;
            }
            state = State.ABANDONED;
            stop = stop();
        }
        stop.run();
        return true;
    }

    /** Under the lock: interrupts the bound thread, and returns what else to run once the lock is released. */
    private Runnable stop() {
        interrupt();
        Runnable waiting = onStop;
        onStop = null;
        return waiting == null ? () -> { } : waiting;
    }

    /**
     * Marks the request finished, after which nothing interrupts its thread any more (it clears
     * its interrupt flag and publishes); false when it was abandoned and must not publish.
     */
    synchronized boolean finish() {
        if (state == State.ABANDONED) {
            return false;
        }
        state = State.FINISHED;
        thread = null;
        onStop = null;
        return true;
    }

    /** An attempt starts on the bound thread: {@link #expire()} may interrupt it until {@link #attemptEnded()}. */
    synchronized void attemptStarted() {
        inAttempt = true;
        expired = false;
    }

    /** The deadline passed: interrupts the running attempt, if there is one. */
    synchronized void expire() {
        if (inAttempt && state == State.RUNNING) {
            expired = true;
            interrupt();
        }
    }

    /**
     * The attempt is over; true when the deadline interrupted it. Called on the bound thread, whose interrupt by the
     * deadline it clears: nothing interrupts it for the deadline any more.
     */
    synchronized boolean attemptEnded() {
        inAttempt = false;
        boolean interrupted = expired;
        expired = false;
        if (interrupted) {
            Thread.interrupted();
        }
        return interrupted;
    }

    synchronized boolean isCancelled() {
        return state == State.CANCELLED;
    }

    synchronized boolean isStopped() {
        return state.isStopped();
    }

    synchronized State state() {
        return state;
    }

    synchronized String cancelReason() {
        return cancelReason == null ? "cancelled" : cancelReason;
    }

    private void interrupt() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
