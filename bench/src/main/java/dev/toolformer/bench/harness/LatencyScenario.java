package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code latency}: the load generator's realistic mix (without injected failures) at a fixed rate for a
 * fixed time through executor and analytics; each result's end-to-end latency minus its tool time. The
 * relay runs at the same rate just before, for {@code relay_p99_ms}.
 */
final class LatencyScenario {
    private static final Duration WARMUP = Duration.ofSeconds(5);

    private LatencyScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        double rate = s.ratePerSecond();
        long atRate = Math.round(rate * s.latencyDuration().toNanos() / 1e9);
        Phase relayed;
        try (Relay relay = new Relay(run.cluster())) {
            relay.run(Math.min(s.warmup(), atRate), rate, s.drainTimeout(), run.progress(), "relay warm-up");
            relayed = relay.run(atRate, rate, s.drainTimeout(), run.progress(), "relay at rate");
        }
        PipelineLoad.Run measured;
        try (PipelineRig rig = PipelineRig.start(run.cluster(), 1, PipelineScenario.DEFAULT_MAX_IN_FLIGHT, true)) {
            PipelineLoad load = new PipelineLoad(rig.client(), s.drainTimeout(), run.progress());
            load.generate(PipelineLoad.MIX, rate, WARMUP, true, "latency warm-up");
            measured = load.generate(PipelineLoad.MIX, rate, s.latencyDuration(), true, "latency at rate");
        }
        Latencies latencies = measured.phase().latencies();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rate_per_s", BenchReport.round1(rate));
        fields.put("p50_ms", latencies.percentileMs(50));
        fields.put("p95_ms", latencies.percentileMs(95));
        fields.put("p99_ms", latencies.percentileMs(99));
        fields.put("relay_p99_ms", relayed.latencies().percentileMs(99));
        run.note("latency", measured.requests() + " requests over " + s.latencyDuration().toSeconds()
                + " s, mean tool time " + measured.toolTimes().meanMs() + " ms subtracted; relay p50 "
                + relayed.latencies().percentileMs(50) + " ms");
        return fields;
    }
}
