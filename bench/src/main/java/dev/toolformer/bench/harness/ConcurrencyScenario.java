package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.producer.LoadProfile;
import dev.toolformer.producer.ToolformerClient;

/**
 * {@code concurrency}: N requests to the {@code simulated} tool sleeping a fixed time, published at once to one
 * executor whose in-flight limit is N, in {@code --pairs} bursts one after the other (the median wall time is
 * reported, with the spread and each burst's timeline: published, taken in, done, read). The executor runs as
 * deployed, in a JVM of its own with a {@code --executor-heap} heap (512 MB by default; the broker and the load
 * generator stay in this one): wall time from the first publish to the last result read, and the executor's heap
 * from its GC log over all bursts — its peak in use
 * (the largest heap before a collection, the run's own collections and one asked for at its end), the heap it
 * kept (after its young collections: live data and old garbage, an upper bound) and whether it needed full
 * collections. Then, apart from the timed run, what a waiting request holds: N requests whose tool waits
 * {@value #HOLD_SECONDS} s, a full collection once they all wait, and the heap it leaves over the idle heap, per
 * request in flight.
 */
final class ConcurrencyScenario {
    private static final Duration WARMUP = Duration.ofSeconds(2);
    private static final double WARMUP_RATE = 5_000;
    /** The warm-up's calls: the measured path (simulated, waiting on its timer), 50 ms each. */
    private static final LoadProfile WARMUP_CALLS = new LoadProfile(0, 0, 0, 0, 50, 30_000, 42);
    private static final int HOLD_SECONDS = 10;

    private ConcurrencyScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        int n = s.concurrentRequests();
        String arguments = "{\"name\":\"sleep\",\"latency_ms\":" + s.toolLatency().toMillis() + "}";
        Duration timeout = s.toolLatency().multipliedBy(10).plus(s.drainTimeout());
        int maxInFlight = Math.max(n, PipelineScenario.DEFAULT_MAX_IN_FLIGHT);
        BenchCluster cluster = run.cluster();
        String groupId = cluster.uniqueName("toolformer-bench-concurrency");
        cluster.startGroupAtEnd(groupId, Set.of(Topics.REQUESTS.name()));
        try (ExecutorProcess executor = ExecutorProcess.start(cluster, groupId + "-1", groupId, maxInFlight,
                s.executorHeap());
             ToolformerClient client = new ToolformerClient(cluster.kafka())) {
            PipelineLoad load = new PipelineLoad(client, s.drainTimeout(), run.progress());
            // JIT and connections warm on the path measured, then a full collection: the heap the idle executor keeps.
            load.generate(WARMUP_CALLS, WARMUP_RATE, WARMUP, false, "concurrency warm-up");
            executor.collect();
            List<ExecutorProcess.Collection> before = executor.collections();
            if (before.isEmpty()) {
                throw new IllegalStateException("the executor's GC log shows no collection after jcmd GC.run: the bench"
                        + " reads the pause lines of G1, Parallel and Serial (-Xlog:gc); TOOLFORMER_BENCH_EXECUTOR_OPTS"
                        + " chose another collector?");
            }
            double baseline = before.getLast().afterMb();
            List<PipelineLoad.Run> bursts = new ArrayList<>();
            long peakInFlight = 0;
            for (int i = 1; i <= s.pairs(); i++) {
                try (ExecutorProcess.InFlightSampler sampler = new ExecutorProcess.InFlightSampler(executor)) {
                    bursts.add(load.publishAll(n, r -> client.newRequest("simulated", arguments, timeout)
                            .setProvider("local").setModel("none").build(), "concurrency burst " + i));
                    peakInFlight = Math.max(peakInFlight, sampler.peak());
                }
            }
            List<ExecutorProcess.Collection> sofar = executor.collections();
            List<ExecutorProcess.Collection> during = sofar.subList(before.size(), sofar.size());
            executor.collect();
            List<ExecutorProcess.Collection> all = executor.collections();
            double peak = all.subList(before.size(), all.size()).stream()
                    .mapToDouble(ExecutorProcess.Collection::beforeMb).max().orElse(baseline);
            double kept = during.stream().filter(c -> !c.full()).mapToDouble(ExecutorProcess.Collection::afterMb)
                    .max().orElse(baseline);
            long fullCollections = during.stream().filter(ExecutorProcess.Collection::full).count();
            Held held = held(executor, load, client, n);
            Map<String, Object> fields = new LinkedHashMap<>();
            List<Double> walls = bursts.stream().map(b -> b.phase().elapsedSeconds()).toList();
            fields.put("requests", bursts.stream().mapToLong(PipelineLoad.Run::requests).sum());
            fields.put("peak_in_flight", peakInFlight);
            fields.put("tool_latency_ms", BenchReport.round1(BenchReport.median(
                    bursts.stream().map(b -> b.toolTimes().meanMs()).toList())));
            fields.put("wall_s", BenchReport.round2(BenchReport.median(walls)));
            fields.put("wall_s_min", BenchReport.round2(Collections.min(walls)));
            fields.put("wall_s_max", BenchReport.round2(Collections.max(walls)));
            fields.put("bursts", bursts.stream().map(ConcurrencyScenario::burst).toList());
            fields.put("executor_heap_max_mb", s.executorHeapMb());
            fields.put("executor_heap_peak_mb", BenchReport.round1(peak));
            fields.put("executor_heap_kept_mb", BenchReport.round1(kept));
            fields.put("held_in_flight", held.inFlight());
            fields.put("executor_heap_live_mb", BenchReport.round1(held.liveMb()));
            fields.put("bytes_per_in_flight", held.inFlight() == 0 ? 0
                    : Math.round(Math.max(0, held.liveMb() - baseline) * 1048576 / held.inFlight()));
            fields.put("bytes_per_in_flight_upper", peakInFlight == 0 ? 0
                    : Math.round(Math.max(0, kept - baseline) * 1048576 / peakInFlight));
            fields.put("executor_full_gcs", fullCollections);
            fields.put("executor_gcs", during.size());
            // How long the collections stood the executor still during the bursts (remark and cleanup pauses aside).
            fields.put("executor_gc_pause_s", BenchReport.round2(
                    during.stream().mapToDouble(ExecutorProcess.Collection::pauseMs).sum() / 1000));
            run.note("concurrency", s.pairs() + " bursts of " + n + " (median wall reported); executor in its own "
                    + "JVM (-Xmx" + s.executorHeap() + "), tool sleeps " + s.toolLatency().toMillis()
                    + " ms; executor heap " + BenchReport.round1(baseline) + " MB after a full GC before the run; "
                    + "bytes_per_in_flight: live heap after a full GC with "
                    + held.inFlight() + " requests waiting " + HOLD_SECONDS + " s, over the idle heap; _upper: heap "
                    + "kept after the run's young GCs (live and old garbage)" + (kept >= s.executorHeapMb() - 1
                    ? " (its heap was full: _upper is a lower bound)" : "")
                    + "; in flight sampled from its /metrics (that gauge only) every "
                    + ExecutorProcess.InFlightSampler.SAMPLE_MILLIS + " ms; "
                    + bursts.stream().mapToLong(PipelineLoad.Run::notSuccessful).sum() + " not SUCCESS");
            return fields;
        }
    }

    /** One burst: its wall time, and when it was published, taken in, done and read (seconds from its first send). */
    private static Map<String, Object> burst(PipelineLoad.Run run) {
        Map<String, Object> burst = new LinkedHashMap<>();
        burst.put("wall_s", BenchReport.round2(run.phase().elapsedSeconds()));
        burst.put("published_s", BenchReport.round2(run.timeline().publishedS()));
        burst.put("last_started_s", BenchReport.round2(run.timeline().lastStartedS()));
        burst.put("last_finished_s", BenchReport.round2(run.timeline().lastFinishedS()));
        burst.put("tool_latency_ms", BenchReport.round1(run.toolTimes().meanMs()));
        return burst;
    }

    /** How many requests waited when the held heap was measured, and the live heap then. */
    private record Held(long inFlight, double liveMb) {
    }

    /**
     * N requests whose tool waits {@value #HOLD_SECONDS} s; once they all wait (or their number stops growing for
     * a second) a full collection, whose result is the live heap; then every result is read.
     */
    private static Held held(ExecutorProcess executor, PipelineLoad load, ToolformerClient client, int n)
            throws Exception {
        String arguments = "{\"name\":\"hold\",\"latency_ms\":" + HOLD_SECONDS * 1000 + "}";
        Duration timeout = Duration.ofSeconds(HOLD_SECONDS * 3L);
        CompletableFuture<PipelineLoad.Run> all = CompletableFuture.supplyAsync(() -> {
            try {
                return load.publishAll(n, i -> client.newRequest("simulated", arguments, timeout)
                        .setProvider("local").setModel("none").build(), "concurrency held");
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted while holding requests", e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HOLD_SECONDS / 2);
        long waiting = 0;
        long grewAt = System.nanoTime();
        while (waiting < n && System.nanoTime() < deadline && System.nanoTime() - grewAt < 1_000_000_000L) {
            Thread.sleep(100);
            long now = executor.inFlight();
            if (now > waiting) {
                waiting = now;
                grewAt = System.nanoTime();
            }
        }
        waiting = executor.inFlight();
        executor.collect();
        double live = executor.collections().getLast().afterMb();
        all.get();
        return new Held(waiting, live);
    }
}
