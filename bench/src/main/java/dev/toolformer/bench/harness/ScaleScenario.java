package dev.toolformer.bench.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code scale}: the pipeline scenario's full-speed measurement, then a fixed-rate latency measurement,
 * with 1, 2, 4... executor instances in one group against the same broker (and one analytics instance).
 * Each instance count's ratio is against a relay measured just before it: the relay speeds up as the JVM
 * warms, so a ratio against the run's first (cold) relay flatters every later pipeline figure.
 */
final class ScaleScenario {
    private ScaleScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        Map<String, Object> byInstances = new LinkedHashMap<>();
        try (Relay relay = new Relay(run.cluster())) {
            for (int instances : s.instances()) {
                byInstances.put(String.valueOf(instances), measure(run, instances, relay));
            }
        }
        run.note("scale", "executors in one JVM with analytics; each ratio against a relay of as many records measured "
                + "just before it; full speed offered at twice that relay; latency minus tool time at "
                + BenchReport.number(s.ratePerSecond()) + "/s for " + s.scaleDuration().toSeconds() + " s");
        return byInstances;
    }

    private static Map<String, Object> measure(BenchRun run, int instances, Relay relay) throws Exception {
        BenchSettings s = run.settings();
        String task = "scale x" + instances;
        double limit = relay.run(s.scaleRecords(), Double.POSITIVE_INFINITY, s.drainTimeout(), run.progress(),
                task + " relay").throughputPerSecond();
        try (PipelineRig rig = PipelineRig.start(run.cluster(), instances, PipelineScenario.DEFAULT_MAX_IN_FLIGHT, true)) {
            PipelineLoad load = new PipelineLoad(rig.client(), s.drainTimeout(), run.progress());
            PipelineLoad.Run full = PipelineScenario.fullSpeed(load, limit, s.warmup() / 2, s.scaleRecords(), task);
            rig.awaitAnalyticsCaughtUp(s.drainTimeout()); // its backlog would add to the latencies below
            PipelineLoad.Run paced = load.generate(PipelineLoad.MIX, s.ratePerSecond(), s.scaleDuration(), true,
                    task + " at rate");
            double throughput = full.phase().throughputPerSecond();
            Latencies latencies = paced.phase().latencies();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("instances", instances);
            fields.put("requests", full.requests());
            fields.put("throughput_per_s", BenchReport.round1(throughput));
            fields.put("relay_per_s", BenchReport.round1(limit));
            fields.put("ratio_to_relay", BenchReport.round3(throughput / limit));
            fields.put("rate_per_s", BenchReport.round1(s.ratePerSecond()));
            fields.put("p50_ms", latencies.percentileMs(50));
            fields.put("p95_ms", latencies.percentileMs(95));
            fields.put("p99_ms", latencies.percentileMs(99));
            return fields;
        }
    }
}
