package dev.toolformer.bench.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.executor.ExecutorConfig;

/**
 * {@code pipeline}: the load generator's {@code echo} requests → executor → results, with the analytics
 * topology aggregating them, offered faster than the pipeline can take them; counted when the client
 * reads each result. Measured in {@code --pairs} interleaved pairs — the relay at full speed, then the
 * pipeline, each pair's ratio from its own two figures — on one relay and one running pipeline, so that one
 * lucky or unlucky pass cannot make the figure; the median ratio is reported, with the spread and every pair.
 */
final class PipelineScenario {
    static final int DEFAULT_MAX_IN_FLIGHT = ExecutorConfig.defaults("bench").maxInFlight();

    private PipelineScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        double offeredFrom = run.relayThroughput();
        List<Map<String, Object>> pairs = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> throughputs = new ArrayList<>();
        long requests = 0;
        long notSuccessful = 0;
        try (Relay relay = new Relay(run.cluster());
             PipelineRig rig = PipelineRig.start(run.cluster(), 1, DEFAULT_MAX_IN_FLIGHT, true)) {
            PipelineLoad load = new PipelineLoad(rig.client(), s.drainTimeout(), run.progress());
            relay.run(s.warmup(), Double.POSITIVE_INFINITY, s.drainTimeout(), run.progress(), "relay warm-up");
            if (s.warmup() > 0) {
                load.generateCount(PipelineLoad.ECHO, 2 * offeredFrom, s.warmup(), "pipeline warm-up");
                rig.awaitAnalyticsCaughtUp(s.drainTimeout());
            }
            for (int i = 1; i <= s.pairs(); i++) {
                Phase limit = relay.run(s.records(), Double.POSITIVE_INFINITY, s.drainTimeout(), run.progress(),
                        "pair " + i + " relay");
                PipelineLoad.Run measured = fullSpeed(load, limit.throughputPerSecond(), 0, s.records(),
                        "pair " + i + " pipeline");
                // Before the next relay: the analytics' backlog would run during it and slow it.
                double analyticsBehind = rig.awaitAnalyticsCaughtUp(s.drainTimeout());
                double throughput = measured.phase().throughputPerSecond();
                double ratio = throughput / limit.throughputPerSecond();
                ratios.add(ratio);
                throughputs.add(throughput);
                requests += measured.requests();
                notSuccessful += measured.notSuccessful();
                Map<String, Object> pair = new LinkedHashMap<>();
                pair.put("relay_per_s", BenchReport.round1(limit.throughputPerSecond()));
                pair.put("pipeline_per_s", BenchReport.round1(throughput));
                pair.put("ratio", BenchReport.round3(ratio));
                pair.put("analytics_behind_s", BenchReport.round3(analyticsBehind));
                pairs.add(pair);
            }
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("requests", requests);
        fields.put("throughput_per_s", BenchReport.round1(BenchReport.median(throughputs)));
        fields.put("ratio_to_relay", BenchReport.round3(BenchReport.median(ratios)));
        fields.put("ratio_min", BenchReport.round3(Collections.min(ratios)));
        fields.put("ratio_max", BenchReport.round3(Collections.max(ratios)));
        fields.put("pairs", pairs);
        run.note("pipeline", s.pairs() + " relay/pipeline pairs (median reported); 1 executor + analytics; offered at "
                + "twice each pair's relay; " + notSuccessful + " not SUCCESS");
        return fields;
    }

    /**
     * A warm-up, then {@code requests} echo requests offered at twice the relay's throughput: more than
     * the pipeline can take, so it runs saturated whatever the relay measured.
     */
    static PipelineLoad.Run fullSpeed(PipelineLoad load, double relayThroughput, long warmup, long requests, String task)
            throws InterruptedException {
        double offered = 2 * relayThroughput;
        if (warmup > 0) {
            load.generateCount(PipelineLoad.ECHO, offered, warmup, task + " warm-up");
        }
        return load.generateCount(PipelineLoad.ECHO, offered, requests, task + " full speed");
    }
}
