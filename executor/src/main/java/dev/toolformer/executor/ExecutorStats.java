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
 * @param rejected         REJECTED results (invalid request, unknown tool, open breaker...)
 * @param cancelled        CANCELLED results (control command, negative speculation outcome)
 * @param pausedPartitions request partitions paused by backpressure now
 * @param queued           records read and not finished now (in flight plus waiting to start): bounded
 *                         by backpressure whatever the backlog
 */
public record ExecutorStats(int inFlight, int peakInFlight, int maxInFlight, long completed, long retries,
                            long deadLetters, long rejected, long cancelled, int pausedPartitions,
                            int queued) {
}
