package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyticsTopologyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
    private static final Instant WALL_CLOCK = Instant.parse("2026-01-01T13:00:00Z");
    private static final String WINDOW_0 = "2026-01-01T12:00:00Z";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, ToolResult> results;
    private TestOutputTopic<String, SloWindow> slo;
    private int nextId;

    @AfterEach
    void closeDriver() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void shouldCountResultsByStatusPerToolAndGlobally() {
        start(AnalyticsConfig.defaults(stateDir));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(5));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(10));
        pipe("simulated", "sim", ToolStatus.ERROR, T0.plusSeconds(20));
        closeWindowsBefore(T0.plusSeconds(90));

        Map<String, SloWindow> finals = finals();

        assertThat(finals).containsOnlyKeys("echo|local|" + WINDOW_0, "simulated|sim|" + WINDOW_0, "*|*|" + WINDOW_0);
        SloWindow global = finals.get("*|*|" + WINDOW_0);
        assertThat(List.of(global.getTool(), global.getProvider())).containsExactly("*", "*");
        assertThat(global.getWindowStart()).isEqualTo(T0);
        assertThat(global.getWindowEnd()).isEqualTo(T0.plusSeconds(60));
        assertThat(counts(global)).containsExactly(3L, 2L, 1L, 0L, 0L, 0L, 0L);
        assertThat(global.getErrorRate()).isEqualTo(1.0 / 3);
        assertThat(global.getAvailability()).isEqualTo(1 - 1.0 / 3);
        assertThat(global.getThroughputPerS()).isEqualTo(3 / 60.0);
        assertThat(global.getIsFinal()).isTrue();
        assertThat(global.getEmittedAt()).isEqualTo(WALL_CLOCK);
        SloWindow echo = finals.get("echo|local|" + WINDOW_0);
        assertThat(List.of(echo.getTool(), echo.getProvider())).containsExactly("echo", "local");
        assertThat(counts(echo)).containsExactly(2L, 2L, 0L, 0L, 0L, 0L, 0L);
        assertThat(echo.getErrorRate()).isEqualTo(0.0);
        assertThat(echo.getAvailability()).isEqualTo(1.0);
        SloWindow simulated = finals.get("simulated|sim|" + WINDOW_0);
        assertThat(counts(simulated)).containsExactly(1L, 0L, 1L, 0L, 0L, 0L, 0L);
        assertThat(simulated.getErrorRate()).isEqualTo(1.0);
        assertThat(simulated.getAvailability()).isEqualTo(0.0);
    }

    @Test
    void shouldComputeLatencyPercentilesWithinOnePercent() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        for (int ms = 1; ms <= 100; ms++) {
            Instant finished = T0.plusSeconds(30);
            pipe(result("echo", "local", ToolStatus.SUCCESS, finished.minusMillis(ms), finished.minusMillis(10L * ms),
                    finished), finished);
        }
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = finals().get("echo|local|" + WINDOW_0);

        // Exact quantiles of 1..100 at rank q * (n - 1), rounded down, as DDSketch defines them: 50, 95, 99.
        assertThat(window.getLatencyP50Ms()).isCloseTo(50, withinPercentage(1));
        assertThat(window.getLatencyP95Ms()).isCloseTo(95, withinPercentage(1));
        assertThat(window.getLatencyP99Ms()).isCloseTo(99, withinPercentage(1));
        assertThat(window.getLatencyMaxMs()).isEqualTo(100.0);
        assertThat(window.getExecutionP50Ms()).isCloseTo(500, withinPercentage(1));
        assertThat(window.getExecutionP95Ms()).isCloseTo(950, withinPercentage(1));
        assertThat(window.getExecutionP99Ms()).isCloseTo(990, withinPercentage(1));
        assertThat(window.getExecutionMaxMs()).isEqualTo(1000.0);
        DDSketch sketch = Sketches.decode(window.getLatencySketch());
        assertThat(sketch.getCount()).isEqualTo(100.0);
        assertThat(sketch.getSum()).isCloseTo(5050.0, withinPercentage(1));
        // Published compact, as DDSketch.encode writes it (the store appends to it between compactions).
        assertThat(window.getLatencySketch()).isEqualTo(Sketches.encode(sketch));
    }

    @Test
    void shouldCountZeroLatencyWhenClocksDisagree() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        Instant finished = T0.plusSeconds(30);
        pipe(result("echo", "local", ToolStatus.SUCCESS, finished.plusMillis(40), finished.plusMillis(20), finished),
                finished);
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = finals().get("echo|local|" + WINDOW_0);

        assertThat(List.of(window.getLatencyP50Ms(), window.getLatencyMaxMs(), window.getExecutionMaxMs()))
                .containsExactly(0.0, 0.0, 0.0);
    }

    @Test
    void shouldEmitFinalRecordOnlyAfterWindowAndGraceClose() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(10));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(90).minusMillis(1));

        assertThat(slo.isEmpty()).isTrue();

        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(90));

        List<KeyValue<String, SloWindow>> emitted = slo.readKeyValuesToList();
        assertThat(emitted).extracting(kv -> kv.key)
                .containsExactlyInAnyOrder("echo|local|" + WINDOW_0, "*|*|" + WINDOW_0);
        assertThat(emitted).allSatisfy(kv -> {
            assertThat(kv.value.getIsFinal()).isTrue();
            assertThat(kv.value.getRequests()).isEqualTo(1);
        });
    }

    @Test
    void shouldEmitEveryUpdateOfAnOpenWindowAsNotFinal() {
        start(AnalyticsConfig.defaults(stateDir));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(5));
        pipe("echo", "local", ToolStatus.ERROR, T0.plusSeconds(6));

        List<KeyValue<String, SloWindow>> emitted = slo.readKeyValuesToList();

        assertThat(emitted).extracting(kv -> kv.key, kv -> kv.value.getRequests(), kv -> kv.value.getIsFinal())
                .containsExactly(
                        tuple("echo|local|" + WINDOW_0, 1L, false),
                        tuple("*|*|" + WINDOW_0, 1L, false),
                        tuple("echo|local|" + WINDOW_0, 2L, false),
                        tuple("*|*|" + WINDOW_0, 2L, false));
    }

    @Test
    void shouldAssignRecordToWindowByFinishedAtNotRecordTimestamp() {
        start(AnalyticsConfig.defaults(stateDir));
        Instant finished = T0.plusSeconds(30);
        pipe(result("echo", "local", ToolStatus.SUCCESS, finished.minusMillis(5), finished.minusMillis(3), finished),
                T0.plusSeconds(300));

        SloWindow window = slo.readKeyValuesToList().getFirst().value;

        assertThat(window.getWindowStart()).isEqualTo(T0);
        assertThat(window.getWindowEnd()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void shouldFallBackToRecordTimestampWhenFinishedAtIsNegative() {
        start(AnalyticsConfig.defaults(stateDir));
        Instant invalid = Instant.ofEpochMilli(-1);
        pipe(result("echo", "local", ToolStatus.SUCCESS, invalid, invalid, invalid), T0.plusSeconds(70));

        assertThat(slo.readKeyValuesToList().getFirst().key).isEqualTo("echo|local|2026-01-01T12:01:00Z");
    }

    @Test
    void shouldCountUnservedCallsAsFailedAndLeaveClientMistakesOutOfTheSlo() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        pipe("simulated", "sim", ToolStatus.SUCCESS, T0.plusSeconds(1));
        pipe("simulated", "sim", ToolStatus.SUCCESS, T0.plusSeconds(2));
        pipe("simulated", "sim", ToolStatus.SUCCESS, T0.plusSeconds(3));
        pipe("simulated", "sim", ToolStatus.ERROR, T0.plusSeconds(4));
        pipe("simulated", "sim", ToolStatus.TIMEOUT, T0.plusSeconds(5));
        pipe("simulated", "sim", ToolStatus.UNAVAILABLE, T0.plusSeconds(6));
        pipe("simulated", "sim", ToolStatus.UNAVAILABLE, T0.plusSeconds(7));
        pipe("simulated", "sim", ToolStatus.UNAVAILABLE, T0.plusSeconds(8));
        pipe("simulated", "sim", ToolStatus.REJECTED, T0.plusSeconds(9));
        pipe("simulated", "sim", ToolStatus.CANCELLED, T0.plusSeconds(10));
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = finals().get("simulated|sim|" + WINDOW_0);

        // requests, success, errors, timeouts, cancelled, rejected, unavailable
        assertThat(counts(window)).containsExactly(10L, 3L, 1L, 1L, 1L, 1L, 3L);
        // 8 eligible (all but rejected and cancelled): 5 failed (error, timeout, 3 unavailable), 4 unavailable to
        // availability (error and the 3 unserved; a timeout is the latency SLO's concern).
        assertThat(window.getErrorRate()).isEqualTo(5 / 8.0);
        assertThat(window.getAvailability()).isEqualTo(1 - 4 / 8.0);
    }

    @Test
    void shouldReadAnOutageWhoseCallsTheBreakerRefusesAsAFullOutage() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        pipe("simulated", "down", ToolStatus.ERROR, T0.plusSeconds(1));
        for (int i = 2; i < 12; i++) {
            pipe("simulated", "down", ToolStatus.UNAVAILABLE, T0.plusSeconds(i));
        }
        pipe("simulated", "down", ToolStatus.REJECTED, T0.plusSeconds(12));
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = finals().get("simulated|down|" + WINDOW_0);

        assertThat(window.getErrorRate()).isEqualTo(1.0);
        assertThat(window.getAvailability()).isEqualTo(0.0);
        assertThat(window.getUnavailable()).isEqualTo(10);
    }

    @Test
    void shouldGiveAWindowOfOnlyClientMistakesNoErrorRate() {
        start(AnalyticsConfig.defaults(stateDir).withEmitUpdates(false));
        pipe("simulated", "sim", ToolStatus.REJECTED, T0.plusSeconds(1));
        pipe("simulated", "sim", ToolStatus.CANCELLED, T0.plusSeconds(2));
        closeWindowsBefore(T0.plusSeconds(90));

        SloWindow window = finals().get("simulated|sim|" + WINDOW_0);

        assertThat(window.getRequests()).isEqualTo(2);
        assertThat(window.getErrorRate()).isEqualTo(0.0);
        assertThat(window.getAvailability()).isEqualTo(1.0);
    }

    @Test
    void shouldCountLateResultWithinGraceAndReemitItsWindow() {
        start(AnalyticsConfig.defaults(stateDir));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(10));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(70));
        slo.readKeyValuesToList();

        pipe("echo", "local", ToolStatus.ERROR, T0.plusSeconds(20));

        assertThat(latest(slo.readKeyValuesToList()).get("echo|local|" + WINDOW_0).getRequests()).isEqualTo(2);
        closeWindowsBefore(T0.plusSeconds(150));
        SloWindow window = finals().get("echo|local|" + WINDOW_0);
        assertThat(counts(window)).containsExactly(2L, 1L, 1L, 0L, 0L, 0L, 0L);
    }

    @Test
    void shouldDropResultArrivingAfterItsWindowClosed() {
        start(AnalyticsConfig.defaults(stateDir));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(10));
        closeWindowsBefore(T0.plusSeconds(90));
        assertThat(finals().get("echo|local|" + WINDOW_0).getRequests()).isEqualTo(1);

        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(20));

        assertThat(slo.isEmpty()).isTrue();
    }

    @Test
    void shouldReportEmptyProviderAsNone() {
        start(AnalyticsConfig.defaults(stateDir));
        pipe("echo", "", ToolStatus.SUCCESS, T0.plusSeconds(10));

        SloWindow window = slo.readKeyValuesToList().getFirst().value;

        assertThat(List.of(window.getTool(), window.getProvider())).containsExactly("echo", "none");
        assertThat(window.getIsFinal()).isFalse();
    }

    @Test
    void shouldKeyWindowsByToolProviderAndWindowStart() {
        start(AnalyticsConfig.defaults(stateDir).withWindowSize(Duration.ofSeconds(10)).withGrace(Duration.ZERO));
        pipe("echo", "local", ToolStatus.SUCCESS, T0.plusSeconds(25));

        assertThat(slo.readKeyValuesToList()).extracting(kv -> kv.key)
                .containsExactly("echo|local|2026-01-01T12:00:20Z", "*|*|2026-01-01T12:00:20Z");
    }

    @Test
    void shouldNameEveryProcessorSoInternalTopicsAndStoresKeepTheirNames() {
        String description = AnalyticsTopology.build(AnalyticsConfig.defaults(stateDir)).describe().toString();

        assertThat(description).doesNotContain("KSTREAM-", "KTABLE-")
                .contains("slo-group-repartition", "stores: [slo-windows]", "stores: [slo-until-window-closes-store]",
                        "cost-group-repartition", "speculation-group-repartition",
                        "speculation-results-by-id-repartition", "speculation-outcomes-by-id-repartition",
                        "stores: [result-ids]",
                        "burn-rate-buckets", "Processor: burn-rates (stores: ", "stores: [executor-health]",
                        "stores: [cost-1h-windows]", "stores: [cost-1m-windows]", "stores: [speculation-windows]",
                        "stores: [speculation-ids]");
    }

    @Test
    void shouldRepartitionBothSidesOfTheSpeculationJoinByRequestIdWhateverPartitionedTheSourceTopics() {
        String description = AnalyticsTopology.build(AnalyticsConfig.defaults(stateDir)).describe().toString();

        // The join reads only the two repartition topics Streams itself wrote, never a source topic directly.
        String joinSubtopology = subtopologyOf(description, "speculation-join-this-join");
        assertThat(joinSubtopology)
                .contains("topics: [speculation-results-by-id-repartition]",
                        "topics: [speculation-outcomes-by-id-repartition]")
                .doesNotContain(Topics.RESULTS.name() + "]", Topics.SPECULATION_OUTCOMES.name() + "]");
    }

    /** The sub-topology of {@code description} that holds processor {@code name}. */
    private static String subtopologyOf(String description, String name) {
        for (String subtopology : description.split("Sub-topology: ")) {
            if (subtopology.contains("Processor: " + name + " ")) {
                return subtopology;
            }
        }
        throw new AssertionError("no sub-topology has processor " + name + ":\n" + description);
    }

    private void start(AnalyticsConfig config) {
        var props = KafkaSettings.of("unused:9092").streams(config.applicationId(), config.stateDir());
        driver = new TopologyTestDriver(AnalyticsTopology.build(config), props, WALL_CLOCK);
        results = driver.createInputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().serializer(),
                Topics.RESULTS.valueSerde().serializer());
        slo = driver.createOutputTopic(Topics.SLO.name(), Topics.SLO.keySerde().deserializer(),
                Topics.SLO.valueSerde().deserializer());
    }

    /** A result that took 20 ms end to end and 10 ms to execute, published when it finished. */
    private void pipe(String tool, String provider, ToolStatus status, Instant finishedAt) {
        pipe(result(tool, provider, status, finishedAt.minusMillis(20), finishedAt.minusMillis(10), finishedAt),
                finishedAt);
    }

    private void pipe(ToolResult result, Instant recordTimestamp) {
        results.pipeInput(result.getRequestId(), result, recordTimestamp);
    }

    private ToolResult result(String tool, String provider, ToolStatus status, Instant submittedAt, Instant startedAt,
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

    /** Advances stream time to {@code streamTime} with a result of an unrelated tool. */
    private void closeWindowsBefore(Instant streamTime) {
        pipe("advance", "clock", ToolStatus.SUCCESS, streamTime);
    }

    private Map<String, SloWindow> finals() {
        Map<String, SloWindow> finals = new LinkedHashMap<>();
        for (KeyValue<String, SloWindow> kv : slo.readKeyValuesToList()) {
            if (kv.value.getIsFinal()) {
                assertThat(finals.put(kv.key, kv.value)).as("second final record of %s", kv.key).isNull();
            }
        }
        return finals;
    }

    private static Map<String, SloWindow> latest(List<KeyValue<String, SloWindow>> records) {
        Map<String, SloWindow> latest = new LinkedHashMap<>();
        records.forEach(kv -> latest.put(kv.key, kv.value));
        return latest;
    }

    /** requests, success, errors, timeouts, cancelled, rejected. */
    private static List<Long> counts(SloWindow window) {
        return List.of(window.getRequests(), window.getSuccess(), window.getErrors(), window.getTimeouts(),
                window.getCancelled(), window.getRejected(), window.getUnavailable());
    }
}
