package dev.toolformer.analytics;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The production topology in a {@link TopologyTestDriver}, with every topic and builders of input records. */
final class AnalyticsDriver implements AutoCloseable {
    static final Instant WALL_CLOCK = Instant.parse("2026-01-01T13:00:00Z");

    final TopologyTestDriver driver;
    final TestOutputTopic<String, SloWindow> slo;
    final TestOutputTopic<String, BurnRate> burnRates;
    final TestOutputTopic<String, CostWindow> cost;
    final TestOutputTopic<String, SpeculationWindow> speculation;
    final TestOutputTopic<String, ExecutorHealth> health;
    private final TestInputTopic<String, ToolResult> results;
    private final TestInputTopic<String, SpeculationOutcome> outcomes;
    private final TestInputTopic<String, ExecutorHeartbeat> heartbeats;
    private int nextId;

    AnalyticsDriver(AnalyticsConfig config) {
        this(config, window -> { });
    }

    /** A driver whose topology hands each final speculation window to {@code finalSpeculation} too. */
    AnalyticsDriver(AnalyticsConfig config, Consumer<SpeculationWindow> finalSpeculation) {
        var props = KafkaSettings.of("unused:9092").streams(config.applicationId(), config.stateDir());
        driver = new TopologyTestDriver(AnalyticsTopology.build(config, new LongAdder(), finalSpeculation), props,
                WALL_CLOCK);
        results = input(Topics.RESULTS);
        outcomes = input(Topics.SPECULATION_OUTCOMES);
        heartbeats = input(Topics.HEARTBEATS);
        slo = output(Topics.SLO);
        burnRates = output(Topics.BURN_RATES);
        cost = output(Topics.COST);
        speculation = output(Topics.SPECULATION);
        health = output(Topics.HEALTH);
    }

    /** A result that took {@code latencyMs} end to end, half of it executing, published when it finished. */
    ToolResult pipe(String tool, String provider, ToolStatus status, Instant finishedAt, long latencyMs) {
        ToolResult result = result(tool, provider, status, finishedAt.minusMillis(latencyMs),
                finishedAt.minusMillis(latencyMs / 2), finishedAt);
        pipe(result);
        return result;
    }

    void pipe(ToolResult result) {
        results.pipeInput(result.getRequestId(), result, result.getFinishedAt());
    }

    void pipe(SpeculationOutcome outcome) {
        outcomes.pipeInput(outcome.getRequestId(), outcome, outcome.getDecidedAt());
    }

    void pipe(ExecutorHeartbeat heartbeat) {
        heartbeats.pipeInput(heartbeat.getExecutorId(), heartbeat, heartbeat.getSentAt());
    }

    void advanceWallClock(Duration duration) {
        driver.advanceWallClockTime(duration);
    }

    ToolResult result(String tool, String provider, ToolStatus status, Instant submittedAt, Instant startedAt,
                      Instant finishedAt) {
        String id = "req-" + nextId++;
        return ToolResult.newBuilder()
                .setRequestId(id)
                .setCorrelationId("corr-" + id)
                .setTool(tool)
                .setProvider(provider)
                .setStatus(status)
                .setOutputJson(status == ToolStatus.SUCCESS ? "{\"ok\":true}" : null)
                .setAttempts(1)
                .setSubmittedAt(submittedAt)
                .setStartedAt(startedAt)
                .setFinishedAt(finishedAt)
                .build();
    }

    /** A successful LLM call of {@code provider}/{@code model}, 20 ms end to end. */
    ToolResult llmResult(String provider, String model, Instant finishedAt, long inputTokens, long outputTokens,
                         double costUsd) {
        return ToolResult.newBuilder(result("chat", provider, ToolStatus.SUCCESS, finishedAt.minusMillis(20),
                        finishedAt.minusMillis(10), finishedAt))
                .setModel(model)
                .setInputTokens(inputTokens)
                .setOutputTokens(outputTokens)
                .setCostUsd(costUsd)
                .build();
    }

    static SpeculationOutcome outcome(ToolResult result, boolean used, Instant decidedAt) {
        return SpeculationOutcome.newBuilder()
                .setRequestId(result.getRequestId())
                .setUsed(used)
                .setDecidedAt(decidedAt)
                .build();
    }

    static ExecutorHeartbeat heartbeat(String executorId, Instant sentAt, int inFlight) {
        return ExecutorHeartbeat.newBuilder()
                .setExecutorId(executorId)
                .setSentAt(sentAt)
                .setStartedAt(sentAt.minusSeconds(3600))
                .setHeapUsedBytes(100L << 20)
                .setHeapMaxBytes(1L << 30)
                .setCpuPercent(12.5)
                .setInFlight(inFlight)
                .setMaxInFlight(1000)
                .setConsumerLag(7)
                .build();
    }

    /** The last record of each key, in order of first appearance. */
    static <V> Map<String, V> latest(List<KeyValue<String, V>> records) {
        Map<String, V> latest = new LinkedHashMap<>();
        records.forEach(kv -> latest.put(kv.key, kv.value));
        return latest;
    }

    @Override
    public void close() {
        driver.close();
    }

    private <V extends SpecificRecord> TestInputTopic<String, V> input(Topic<V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    private <V extends SpecificRecord> TestOutputTopic<String, V> output(Topic<V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(),
                topic.valueSerde().deserializer());
    }
}
