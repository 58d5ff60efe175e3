package dev.toolformer.executor;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The process's deadline alarms: one daemon platform thread that runs each alarm when due. A cancelled alarm leaves
 * the queue at once, so tens of thousands of requests in flight hold one small entry each, not a thread.
 */
final class Deadlines {
    private static final ScheduledThreadPoolExecutor ALARMS = alarms();

    private Deadlines() {
    }

    /** Runs {@code alarm} in {@code nanos} unless cancelled first; it must be quick (it runs on the shared thread). */
    static ScheduledFuture<?> at(long nanos, Runnable alarm) {
        return ALARMS.schedule(alarm, nanos, TimeUnit.NANOSECONDS);
    }

    private static ScheduledThreadPoolExecutor alarms() {
        ScheduledThreadPoolExecutor alarms = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("toolformer-deadlines").daemon().factory());
        alarms.setRemoveOnCancelPolicy(true);
        return alarms;
    }
}
