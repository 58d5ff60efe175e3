package dev.toolformer.bench.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code toolformer bench} invocation: the cluster, the settings, and what each scenario measured so
 * far, so that ratios use the relay measured in the same run (measured first when a scenario needs it).
 */
public final class BenchRun {
    private final BenchCluster cluster;
    private final BenchSettings settings;
    private final Progress progress;
    private final Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private double relayThroughput;

    public BenchRun(BenchCluster cluster, BenchSettings settings, Progress progress) {
        this.cluster = cluster;
        this.settings = settings;
        this.progress = progress;
    }

    BenchCluster cluster() {
        return cluster;
    }

    BenchSettings settings() {
        return settings;
    }

    Progress progress() {
        return progress;
    }

    /** Runs {@code scenario} (once per run) and keeps its fields. */
    public void run(Scenario scenario) throws Exception {
        if (!results.containsKey(scenario.key())) {
            progress.note("toolformer bench: " + scenario.key());
            results.put(scenario.key(), scenario.run(this));
        }
    }

    /** The relay's full-speed throughput in this run, measuring the relay first if no scenario did yet. */
    double relayThroughput() throws Exception {
        if (relayThroughput == 0) {
            run(Scenario.RELAY);
        }
        return relayThroughput;
    }

    void relayThroughput(double value) {
        relayThroughput = value;
    }

    /** A line for the table only (context that is not a contract field). */
    void note(String scenario, String text) {
        notes.merge(scenario, text, (a, b) -> a + "; " + b);
    }

    public Map<String, Map<String, Object>> results() {
        return Collections.unmodifiableMap(results);
    }

    public Map<String, String> notes() {
        return Collections.unmodifiableMap(notes);
    }
}
