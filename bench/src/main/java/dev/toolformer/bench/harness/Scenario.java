package dev.toolformer.bench.harness;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The scenarios of {@code toolformer bench}, in the order {@code all} runs them. */
public enum Scenario {
    /** The limit: a bare two-hop Kafka relay. */
    RELAY(RelayScenario::run),
    /** The full path at its maximum sustained rate, with the {@code echo} tool. */
    PIPELINE(PipelineScenario::run),
    /** End-to-end latency minus tool time at a fixed rate, beside the relay's at the same rate. */
    LATENCY(LatencyScenario::run),
    /** Tens of thousands of one-second tool calls submitted at once to one executor. */
    CONCURRENCY(ConcurrencyScenario::run),
    /** The pipeline with 1, 2, 4... executor instances against one broker. */
    SCALE(ScaleScenario::run);

    /** What a scenario does: its JSON fields, in order. */
    interface Body {
        Map<String, Object> run(BenchRun run) throws Exception;
    }

    private final Body body;

    Scenario(Body body) {
        this.body = body;
    }

    /** The name on the command line and the key in the JSON object. */
    String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    Map<String, Object> run(BenchRun run) throws Exception {
        return body.run(run);
    }

    /** The scenarios a {@code bench} argument names: one by its key, or {@code all}. */
    public static List<Scenario> named(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals("all")) {
            return List.of(Scenario.values());
        }
        return Arrays.stream(Scenario.values()).filter(s -> s.key().equals(key)).findFirst().map(List::of)
                .orElseThrow(() -> new IllegalArgumentException("unknown scenario '" + name
                        + "' (expected relay, pipeline, latency, concurrency, scale or all)"));
    }
}
