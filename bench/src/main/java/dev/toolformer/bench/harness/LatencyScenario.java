package dev.toolformer.bench.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code latency}: the load generator's realistic mix (without injected failures) at a fixed rate for a
 * fixed time through executor and analytics; each result's end-to-end latency minus its tool time. Measured
 * in {@code --pairs} interleaved pairs — the relay at the same rate, then the pipeline — on one relay and one
 * running pipeline; the medians are reported, every pair, and how many pairs met p99 < 2 × their relay's p99.
 */
final class LatencyScenario {
    private static final Duration WARMUP = Duration.ofSeconds(5);

    private LatencyScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        double rate = s.ratePerSecond();
        long atRate = Math.round(rate * s.latencyDuration().toNanos() / 1e9);
        List<Map<String, Object>> pairs = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p95 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> relayP50 = new ArrayList<>();
        List<Double> relayP99 = new ArrayList<>();
        long requests = 0;
        List<Double> toolMs = new ArrayList<>();
        int within = 0;
        try (Relay relay = new Relay(run.cluster());
             PipelineRig rig = PipelineRig.start(run.cluster(), 1, PipelineScenario.DEFAULT_MAX_IN_FLIGHT, true)) {
            PipelineLoad load = new PipelineLoad(rig.client(), s.drainTimeout(), run.progress());
            relay.run(Math.min(s.warmup(), atRate), rate, s.drainTimeout(), run.progress(), "relay warm-up");
            load.generate(PipelineLoad.MIX, rate, WARMUP, true, "latency warm-up");
            for (int i = 1; i <= s.pairs(); i++) {
                Latencies relayed = relay.run(atRate, rate, s.drainTimeout(), run.progress(), "pair " + i + " relay")
                        .latencies();
                PipelineLoad.Run measured = load.generate(PipelineLoad.MIX, rate, s.latencyDuration(), true,
                        "pair " + i + " pipeline");
                Latencies latencies = measured.phase().latencies();
                p50.add(latencies.percentileMs(50));
                p95.add(latencies.percentileMs(95));
                p99.add(latencies.percentileMs(99));
                relayP50.add(relayed.percentileMs(50));
                relayP99.add(relayed.percentileMs(99));
                requests += measured.requests();
                toolMs.add(measured.toolTimes().meanMs());
                within += latencies.percentileMs(99) < 2 * relayed.percentileMs(99) ? 1 : 0;
                Map<String, Object> pair = new LinkedHashMap<>();
                pair.put("p50_ms", latencies.percentileMs(50));
                pair.put("p99_ms", latencies.percentileMs(99));
                pair.put("relay_p99_ms", relayed.percentileMs(99));
                pairs.add(pair);
            }
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rate_per_s", BenchReport.round1(rate));
        fields.put("p50_ms", BenchReport.median(p50));
        fields.put("p95_ms", BenchReport.median(p95));
        fields.put("p99_ms", BenchReport.median(p99));
        fields.put("relay_p99_ms", BenchReport.median(relayP99));
        fields.put("pairs_within_target", within);
        fields.put("pairs", pairs);
        run.note("latency", s.pairs() + " relay/pipeline pairs (medians reported); " + requests + " requests, "
                + s.latencyDuration().toSeconds() + " s per pair, mean tool time " + BenchReport.median(toolMs)
                + " ms subtracted; relay p50 " + BenchReport.median(relayP50) + " ms");
        return fields;
    }
}
