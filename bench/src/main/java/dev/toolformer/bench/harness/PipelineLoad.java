package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

import dev.toolformer.producer.LoadGenerator;
import dev.toolformer.producer.LoadProfile;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;

/**
 * Sends requests through a running pipeline and times their results, counted when the client reads
 * them from {@code toolformer.results}. A result's latency is from just before its request was
 * published to when it was read, minus its tool time ({@code finished_at - started_at}) when asked.
 */
final class PipelineLoad {
    /** The load generator's mix, all {@code echo}: the cheapest tool, so the pipeline itself is measured. */
    static final LoadProfile ECHO = new LoadProfile(1.0, 0.2, 0, 0, 0, 30_000, 42);
    /** The load generator's realistic mix without injected failures or timeouts, whose retries would blur latency. */
    static final LoadProfile MIX;

    static {
        LoadProfile d = LoadProfile.defaults();
        MIX = new LoadProfile(d.echoShare(), d.speculativeShare(), 0, 0, d.meanLatencyMs(), d.timeoutMs(), d.seed());
    }

    private final ToolformerClient client;
    private final Duration drain;
    private final Progress progress;
    private volatile Tracking current;

    PipelineLoad(ToolformerClient client, Duration drain, Progress progress) {
        this.client = client;
        this.drain = drain;
        this.progress = progress;
        client.onResult(this::onResult);
    }

    /** What one run measured. */
    record Run(long requests, Phase phase, long notSuccessful, Latencies toolTimes, Timeline timeline) {
    }

    /**
     * When a run's last request was published (the producer flushed; NaN for a paced run), started and finished by
     * the executor (its results' {@code started_at} / {@code finished_at}: the same host's clock when the executor
     * runs here), in seconds from its first publish; with the wall time (its {@link Phase}, to the last result read)
     * it tells a slow run's time apart: publishing, the executor taking the requests in, the calls, or the results'
     * way back.
     */
    record Timeline(double publishedS, double lastStartedS, double lastFinishedS) {
    }

    /** The load generator at {@code ratePerSecond} for {@code duration}; waits for every result. */
    Run generate(LoadProfile profile, double ratePerSecond, Duration duration, boolean minusToolTime, String task)
            throws InterruptedException {
        Tracking tracking = new Tracking(minusToolTime);
        current = tracking;
        long expected = Math.round(ratePerSecond * duration.toNanos() / 1e9);
        LoadGenerator generator = new LoadGenerator(client, profile);
        Progress.Bar bar = progress.bar(task, expected, " req", tracking.phase::received);
        try {
            long sent = generator.run(ratePerSecond, duration, tracking::sent);
            return tracking.await(sent, generator.failedToSend(), Long.MIN_VALUE);
        } finally {
            bar.close();
        }
    }

    /**
     * About {@code count} requests from the load generator offered at {@code ratePerSecond}: when the
     * generator cannot keep that rate it sends as fast as it can, until {@code count} are sent.
     */
    Run generateCount(LoadProfile profile, double ratePerSecond, long count, String task) throws InterruptedException {
        Tracking tracking = new Tracking(false);
        current = tracking;
        LoadGenerator generator = new LoadGenerator(client, profile);
        Progress.Bar bar = progress.bar(task, count, " req", tracking.phase::received);
        try {
            long sent = 0;
            while (sent < count) {
                sent += generator.run(ratePerSecond, Duration.ofNanos(Math.max(1, Math.round((count - sent) * 1e9 / ratePerSecond))),
                        tracking::sent);
            }
            return tracking.await(sent, generator.failedToSend(), Long.MIN_VALUE);
        } finally {
            bar.close();
        }
    }

    /** {@code count} requests made by {@code make}, published as fast as the producer takes them. */
    Run publishAll(long count, LongFunction<ToolRequest> make, String task) throws InterruptedException {
        Tracking tracking = new Tracking(false);
        current = tracking;
        AtomicLong failed = new AtomicLong();
        Progress.Bar bar = progress.bar(task, count, " req", tracking.phase::received);
        try {
            for (long i = 0; i < count; i++) {
                ToolRequest request = make.apply(i);
                tracking.sent(request);
                client.publish(request).whenComplete((m, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    }
                });
            }
            client.flush();
            return tracking.await(count, failed.get(), System.currentTimeMillis());
        } finally {
            bar.close();
        }
    }

    private void onResult(ToolResult result) {
        Tracking tracking = current;
        if (tracking != null) {
            tracking.result(result);
        }
    }

    /** The requests of one run still waiting for their result. */
    private final class Tracking {
        final Phase phase = new Phase();
        final Map<String, Long> sentAt = new ConcurrentHashMap<>();
        final AtomicLong notSuccessful = new AtomicLong();
        final Latencies toolTimes = new Latencies();
        final boolean minusToolTime;
        final long firstSentMillis = System.currentTimeMillis();
        final AtomicLong lastStartedMillis = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong lastFinishedMillis = new AtomicLong(Long.MIN_VALUE);

        Tracking(boolean minusToolTime) {
            this.minusToolTime = minusToolTime;
        }

        void sent(ToolRequest request) {
            sentAt.put(request.getRequestId(), System.nanoTime());
        }

        void result(ToolResult result) {
            Long sent = sentAt.remove(result.getRequestId());
            if (sent == null) {
                return; // not ours, or a duplicate
            }
            long now = System.nanoTime();
            lastStartedMillis.accumulateAndGet(result.getStartedAt().toEpochMilli(), Math::max);
            lastFinishedMillis.accumulateAndGet(result.getFinishedAt().toEpochMilli(), Math::max);
            long toolNanos = Duration.between(result.getStartedAt(), result.getFinishedAt()).toNanos();
            toolTimes.add(toolNanos);
            if (result.getStatus() != ToolStatus.SUCCESS) {
                notSuccessful.incrementAndGet();
            }
            phase.received(Math.max(0, now - sent - (minusToolTime ? toolNanos : 0)));
        }

        /** @param publishedMillis when the producer had every request (flushed), or Long.MIN_VALUE for a paced run */
        Run await(long sent, long failedToSend, long publishedMillis) throws InterruptedException {
            if (failedToSend > 0) {
                throw new IllegalStateException(failedToSend + " requests could not be published");
            }
            if (!phase.await(sent, drain)) {
                throw new IllegalStateException("only " + phase.received() + " of " + sent + " results arrived within "
                        + drain.toSeconds() + " s of the last request");
            }
            Timeline timeline = new Timeline(publishedMillis == Long.MIN_VALUE ? Double.NaN : since(publishedMillis),
                    since(lastStartedMillis.get()), since(lastFinishedMillis.get()));
            return new Run(sent, phase, notSuccessful.get(), toolTimes, timeline);
        }

        private double since(long millis) {
            return (millis - firstSentMillis) / 1000.0;
        }
    }
}
