package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.toolformer.executor.ExecutorStats;
import dev.toolformer.producer.ToolformerClient;

/**
 * {@code concurrency}: N requests to the {@code simulated} tool sleeping a fixed time, published at once
 * to one executor whose in-flight limit is N; wall time from the first publish to the last result read,
 * and the JVM's heap peak meanwhile (this JVM also runs the embedded broker and the client).
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
        // Warm up on another instance, so that the measured one's peak in flight is the measurement's own.
        try (PipelineRig rig = PipelineRig.start(run.cluster(), 1, maxInFlight, false)) {
            new PipelineLoad(rig.client(), s.drainTimeout(), run.progress())
                    .generate(PipelineLoad.ECHO, WARMUP_RATE, WARMUP, false, "concurrency warm-up");
        }
        try (PipelineRig rig = PipelineRig.start(run.cluster(), 1, maxInFlight, false)) {
            ToolformerClient client = rig.client();
            PipelineLoad load = new PipelineLoad(client, s.drainTimeout(), run.progress());
            double baseline = HeapWatcher.baselineMb();
            PipelineLoad.Run measured;
            double heapPeak;
            double heapAfterGc;
            try (HeapWatcher heap = new HeapWatcher()) {
                measured = load.publishAll(n, i -> client.newRequest("simulated", arguments, timeout)
                        .setProvider("local").setModel("none").build(), "concurrency");
                heapPeak = heap.peakMb();
                heapAfterGc = heap.peakAfterGcMb();
            }
            ExecutorStats stats = rig.executors().getFirst().stats();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("requests", measured.requests());
            fields.put("peak_in_flight", stats.peakInFlight());
            fields.put("tool_latency_ms", measured.toolTimes().meanMs());
            fields.put("wall_s", BenchReport.round2(measured.phase().elapsedSeconds()));
            fields.put("heap_peak_mb", heapPeak);
            run.note("concurrency", "tool sleeps " + s.toolLatency().toMillis() + " ms; heap " + baseline
                    + " MB after GC before, largest after a GC during " + heapAfterGc + " MB, max "
                    + BenchReport.round1(Runtime.getRuntime().maxMemory() / 1048576.0) + " MB; "
                    + measured.notSuccessful() + " not SUCCESS");
            return fields;
        }
    }
}
