package dev.toolformer.executor;

/**
 * A snapshot of one executor's figures since it started, for summaries such as {@code toolformer demo}'s.
 *
 * @param inFlight         requests started and not yet finished now
 * @param peakInFlight     most requests in flight at once so far
 * @param maxInFlight      the in-flight limit now (lower than configured while throttled)
 * @param completed        results published
 * @param retries          attempts after the first
 * @param deadLetters      records sent to the dead-letter topic
 * @param rejected         REJECTED results: the client's mistakes (invalid request, unknown tool, bad timeout)
 * @param unavailable      UNAVAILABLE results: calls we could not serve (breaker open, throttled)
 * @param cancelled        CANCELLED results (control command, negative speculation outcome)
 * @param breakersOpened   times a circuit breaker opened (by failures or by OPEN_BREAKER)
 * @param breakersClosedByProbes times a half-open breaker's probe calls succeeded and closed it
 * @param pausedPartitions request partitions paused by backpressure now
 * @param queued           records read and not finished now (in flight plus waiting to start): bounded
 *                         by backpressure whatever the backlog
 */
public record ExecutorStats(int inFlight, int peakInFlight, int maxInFlight, long completed, long retries,
                            long deadLetters, long rejected, long unavailable, long cancelled,
                            long breakersOpened, long breakersClosedByProbes, int pausedPartitions,
                            int queued) {

    /** The figures of two executors together: sums, and the larger peak. */
    public ExecutorStats plus(ExecutorStats o) {
        return new ExecutorStats(inFlight + o.inFlight, Math.max(peakInFlight, o.peakInFlight),
                maxInFlight + o.maxInFlight, completed + o.completed, retries + o.retries,
                deadLetters + o.deadLetters, rejected + o.rejected, unavailable + o.unavailable,
                cancelled + o.cancelled, breakersOpened + o.breakersOpened,
                breakersClosedByProbes + o.breakersClosedByProbes, pausedPartitions + o.pausedPartitions,
                queued + o.queued);
    }
}
