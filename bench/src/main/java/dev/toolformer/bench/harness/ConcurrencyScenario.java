package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.producer.ToolformerClient;

/**
 * {@code concurrency}: N requests to the {@code simulated} tool sleeping a fixed time, published at once to one
 * executor whose in-flight limit is N. The executor runs as deployed, in a JVM of its own with a
 * {@code --executor-heap} heap (512 MB by default; the broker and the load generator stay in this one): wall
 * time from the first publish to the last result read, and the executor's heap from its GC log — its peak in use
 * (the largest heap before a collection, the run's own collections and one asked for at its end), the heap it
 * kept (after its collections) and hence the bytes each in-flight request holds, and whether it needed full
 * collections.
 */
final class ConcurrencyScenario {
    private static final Duration WARMUP = Duration.ofSeconds(2);
    private static final double WARMUP_RATE = 5_000;

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
            // JIT and connections warm, then a full collection: the heap the idle executor keeps.
            load.generate(PipelineLoad.ECHO, WARMUP_RATE, WARMUP, false, "concurrency warm-up");
            executor.collect();
            List<ExecutorProcess.Collection> before = executor.collections();
            double baseline = before.getLast().afterMb();
            PipelineLoad.Run measured;
            long peakInFlight;
            try (ExecutorProcess.InFlightSampler sampler = new ExecutorProcess.InFlightSampler(executor)) {
                measured = load.publishAll(n, i -> client.newRequest("simulated", arguments, timeout)
                        .setProvider("local").setModel("none").build(), "concurrency");
                peakInFlight = sampler.peak();
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
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("requests", measured.requests());
            fields.put("peak_in_flight", peakInFlight);
            fields.put("tool_latency_ms", measured.toolTimes().meanMs());
            fields.put("wall_s", BenchReport.round2(measured.phase().elapsedSeconds()));
            fields.put("executor_heap_max_mb", s.executorHeapMb());
            fields.put("executor_heap_peak_mb", BenchReport.round1(peak));
            fields.put("executor_heap_kept_mb", BenchReport.round1(kept));
            fields.put("bytes_per_in_flight", peakInFlight == 0 ? 0
                    : Math.round(Math.max(0, kept - baseline) * 1048576 / peakInFlight));
            fields.put("executor_full_gcs", fullCollections);
            fields.put("executor_gcs", during.size());
            run.note("concurrency", "executor in its own JVM (-Xmx" + s.executorHeap() + "), tool sleeps "
                    + s.toolLatency().toMillis() + " ms; executor heap " + BenchReport.round1(baseline)
                    + " MB after a full GC before the run" + (kept >= s.executorHeapMb() - 1 ? " (its heap was full: "
                    + "bytes_per_in_flight is a lower bound; measure it with a larger --executor-heap)" : "")
                    + "; in flight sampled from its /metrics every 20 ms; "
                    + measured.notSuccessful() + " not SUCCESS");
            return fields;
        }
    }
}
