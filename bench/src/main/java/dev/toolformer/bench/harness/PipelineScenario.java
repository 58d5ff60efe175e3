package dev.toolformer.bench.harness;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.toolformer.executor.ExecutorConfig;

/**
 * {@code pipeline}: the load generator's {@code echo} requests → executor → results, with the analytics
 * topology aggregating them, offered faster than the pipeline can take them; counted when the client
 * reads each result.
 */
final class PipelineScenario {
    static final int DEFAULT_MAX_IN_FLIGHT = ExecutorConfig.defaults("bench").maxInFlight();

    private PipelineScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        double relay = run.relayThroughput();
        try (PipelineRig rig = PipelineRig.start(run.cluster(), 1, DEFAULT_MAX_IN_FLIGHT, true)) {
            PipelineLoad load = new PipelineLoad(rig.client(), s.drainTimeout(), run.progress());
            PipelineLoad.Run measured = fullSpeed(load, relay, s.warmup(), s.records(), "pipeline");
            double throughput = measured.phase().throughputPerSecond();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("requests", measured.requests());
            fields.put("throughput_per_s", BenchReport.round1(throughput));
            fields.put("ratio_to_relay", BenchReport.round3(throughput / relay));
            run.note("pipeline", "1 executor + analytics; offered at up to " + BenchReport.number(2 * relay) + "/s; "
                    + measured.notSuccessful() + " not SUCCESS");
            return fields;
        }
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
