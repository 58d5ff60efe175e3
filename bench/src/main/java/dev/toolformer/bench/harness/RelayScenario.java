package dev.toolformer.bench.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code relay}: records at full speed through the bare two-hop relay (its throughput is the limit every
 * ratio refers to), then at the fixed rate of the latency measurements for p50 and p99.
 */
final class RelayScenario {
    private RelayScenario() {
    }

    static Map<String, Object> run(BenchRun run) throws Exception {
        BenchSettings s = run.settings();
        Progress progress = run.progress();
        try (Relay relay = new Relay(run.cluster())) {
            relay.run(s.warmup(), Double.POSITIVE_INFINITY, s.drainTimeout(), progress, "relay warm-up");
            Phase full = relay.run(s.records(), Double.POSITIVE_INFINITY, s.drainTimeout(), progress, "relay full speed");
            long atRate = Math.round(s.ratePerSecond() * s.latencyDuration().toNanos() / 1e9);
            Phase paced = relay.run(atRate, s.ratePerSecond(), s.drainTimeout(), progress, "relay at rate");
            run.relayThroughput(full.throughputPerSecond());
            run.note("relay", relay.recordBytes() + "-byte records; p50/p99 at " + BenchReport.number(s.ratePerSecond())
                    + "/s; full-speed p99 " + full.latencies().percentileMs(99) + " ms (queueing)");
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("records", full.received());
            fields.put("throughput_per_s", BenchReport.round1(full.throughputPerSecond()));
            fields.put("p50_ms", paced.latencies().percentileMs(50));
            fields.put("p99_ms", paced.latencies().percentileMs(99));
            return fields;
        }
    }
}
