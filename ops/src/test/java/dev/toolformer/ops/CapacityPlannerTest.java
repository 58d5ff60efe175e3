package dev.toolformer.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolformer.ops.CapacityPlanner.History;
import dev.toolformer.ops.CapacityPlanner.MetricForecast;
import dev.toolformer.ops.CapacityPlanner.Plan;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.HealthState;
import dev.toolformer.schema.SloWindow;
import org.junit.jupiter.api.Test;

class CapacityPlannerTest {
    private static final Instant START = Instant.parse("2026-11-16T00:00:00Z");
    private static final int HOURS = 7 * 24;
    private static final long MIB = 1L << 20;

    @Test
    void shouldForecastTheRisingCpuAndAddTheReplicasItNeeds() {
        // Three executors whose CPU rises 0.25 %/h from 40 %: 81.75 % in the last hour, 87.75 % a day later.
        History history = CapacityPlanner.history(slo(h -> 20 + 0.1 * h),
                health(3, h -> 40 + 0.25 * h, h -> 300 * MIB, h -> 1_000, h -> 0));

        Plan plan = CapacityPlanner.plan(history, new CapacityPlanner.Inputs(0, 6, 10_000, Duration.ofHours(24)), START);

        MetricForecast cpu = forecast(plan, CapacityPlanner.CPU);
        assertThat(cpu.history()).hasSize(HOURS);
        assertThat(cpu.trendPerHour()).isCloseTo(0.25, within(1e-9));
        assertThat(cpu.peak()).isCloseTo(87.75, within(1e-6));
        assertThat(cpu.peakAt()).isEqualTo(START.plus(Duration.ofHours(HOURS - 1 + 24)));
        MetricForecast throughput = forecast(plan, CapacityPlanner.THROUGHPUT);
        assertThat(throughput.trendPerHour()).isCloseTo(0.1, within(1e-9));
        assertThat(throughput.peak()).isCloseTo(20 + 0.1 * (HOURS - 1 + 24), within(1e-6));
        assertThat(forecast(plan, CapacityPlanner.IN_FLIGHT).peak()).isCloseTo(3_000, within(1e-6));

        assertThat(plan.replicas().current()).isEqualTo(3);
        assertThat(plan.replicas().recommended()).isEqualTo(4);
        List<String> why = plan.replicas().reasoning();
        assertThat(why).contains("CPU of the busiest executor peaks at 87.8 % (2026-11-23T23:00:00Z) above the 80 % limit: x1.10",
                "3 replicas x 1.10 (the largest factor) -> 4, at least 2 for availability");
        assertThat(why).anySatisfy(line -> assertThat(line).startsWith("heap of the fullest executor peaks at 0.29 GiB (")
                .endsWith(") within the 1 GiB limit: x0.29"));
        assertThat(why).anySatisfy(line -> assertThat(line).startsWith("requests in flight peak at 3,000 (")
                .endsWith(") against 80 % of 3 x 10,000 = 24,000: x0.13"));
        assertThat(plan.partitions().recommended()).isEqualTo(8);
        assertThat(plan.partitions().reasoning().getLast()).startsWith("the topic has 6: add 2");
    }

    @Test
    void shouldAddReplicasWhenTheLagKeepsGrowing() {
        History history = CapacityPlanner.history(slo(h -> 20),
                health(2, h -> 30, h -> 200 * MIB, h -> 500, h -> 18_000.0 * h));

        Plan plan = CapacityPlanner.plan(history, new CapacityPlanner.Inputs(0, 12, 10_000, Duration.ofHours(24)), START);

        assertThat(forecast(plan, CapacityPlanner.LAG).trendPerHour()).isCloseTo(18_000, within(1e-6));
        assertThat(plan.replicas().reasoning())
                .contains("consumer lag grows by 18,000 records/h: processing must rise from 20.0 to 25.0 requests/s: x1.25");
        assertThat(plan.replicas().recommended()).isEqualTo(3);
        assertThat(plan.partitions().recommended()).isEqualTo(12);
    }

    @Test
    void shouldScaleDownToTheAvailabilityFloorWhenEverythingIsIdle() {
        History history = CapacityPlanner.history(slo(h -> 1), health(6, h -> 5, h -> 100 * MIB, h -> 10, h -> 0));

        Plan plan = CapacityPlanner.plan(history, new CapacityPlanner.Inputs(0, 12, 10_000, Duration.ofHours(24)), START);

        assertThat(plan.replicas().current()).isEqualTo(6);
        assertThat(plan.replicas().recommended()).isEqualTo(2);
    }

    @Test
    void shouldKeepTheLatestUpdateOfEachGlobalWindowAndIgnoreOtherGroups() {
        List<SloWindow> windows = new ArrayList<>();
        windows.add(window(START, "*", "*", 5, false));
        windows.add(window(START, "*", "*", 7, true));
        windows.add(window(START, "*", "*", 6, false));
        windows.add(window(START.plusSeconds(60), "*", "*", 9, false));
        windows.add(window(START, "echo", "local", 1000, true));

        History history = CapacityPlanner.history(windows, List.of());

        assertThat(history.series().get(CapacityPlanner.THROUGHPUT))
                .containsExactly(new Regression.Point(START, (7 + 9) / 2.0));
    }

    @Test
    void shouldRenderTextJsonAndAChartPage() {
        Plan plan = CapacityPlanner.plan(CapacityPlanner.history(slo(h -> 20 + 0.1 * h),
                        health(3, h -> 40 + 0.25 * h, h -> 300 * MIB, h -> 1_000, h -> 0)),
                new CapacityPlanner.Inputs(0, 6, 10_000, Duration.ofHours(24)), START);
        StringWriter text = new StringWriter();

        CapacityOutput.text(plan, new PrintWriter(text, true));
        JsonNode json = CapacityOutput.json(plan);
        String html = CapacityOutput.html(plan);

        assertThat(text.toString()).contains("executor replicas: 3 -> 4").contains("toolformer.requests partitions: 6 -> 8");
        assertThat(json.path("replicas").path("recommended").asInt()).isEqualTo(4);
        assertThat(json.path("forecasts")).hasSize(5);
        assertThat(json.path("forecasts").get(0).path("forecast")).hasSize(24);
        assertThat(html).contains("new Chart(").contains("\"recommended\":4");
    }

    private static MetricForecast forecast(Plan plan, String metric) {
        return plan.forecasts().stream().filter(f -> f.metric().equals(metric)).findFirst().orElseThrow();
    }

    /** Global one-minute windows every 10 minutes for a week, at {@code throughput(hour)}. */
    private static List<SloWindow> slo(IntToDoubleFunction throughput) {
        List<SloWindow> out = new ArrayList<>();
        for (int h = 0; h < HOURS; h++) {
            for (int m = 0; m < 60; m += 10) {
                out.add(window(START.plus(Duration.ofHours(h)).plus(Duration.ofMinutes(m)), "*", "*",
                        throughput.applyAsDouble(h), true));
            }
        }
        return out;
    }

    /** Hourly health of {@code executors} executors for a week, two samples per hour each. */
    private static List<ExecutorHealth> health(int executors, IntToDoubleFunction cpu, IntToDoubleFunction heap,
                                               IntToDoubleFunction inFlight, IntToDoubleFunction lag) {
        List<ExecutorHealth> out = new ArrayList<>();
        for (int h = 0; h < HOURS; h++) {
            for (int e = 0; e < executors; e++) {
                for (int minute : new int[] {10, 40}) {
                    Instant at = START.plus(Duration.ofHours(h)).plus(Duration.ofMinutes(minute));
                    out.add(ExecutorHealth.newBuilder().setExecutorId("executor-" + e).setState(HealthState.UP)
                            .setLastSeen(at).setChangedAt(START).setHeapUsedBytes((long) heap.applyAsDouble(h))
                            .setHeapMaxBytes(768 * MIB).setCpuPercent(cpu.applyAsDouble(h))
                            .setInFlight((int) inFlight.applyAsDouble(h))
                            .setConsumerLag((long) (lag.applyAsDouble(h) / executors)).build());
                }
            }
        }
        return out;
    }

    private static SloWindow window(Instant start, String tool, String provider, double throughput, boolean last) {
        long requests = Math.round(throughput * 60);
        return SloWindow.newBuilder().setWindowStart(start).setWindowEnd(start.plusSeconds(60)).setTool(tool)
                .setProvider(provider).setIsFinal(last).setRequests(requests).setSuccess(requests).setErrors(0)
                .setTimeouts(0).setCancelled(0).setRejected(0).setErrorRate(0).setAvailability(1)
                .setThroughputPerS(throughput).setLatencyP50Ms(100).setLatencyP95Ms(200).setLatencyP99Ms(300)
                .setLatencyMaxMs(400).setExecutionP50Ms(90).setExecutionP95Ms(190).setExecutionP99Ms(290)
                .setExecutionMaxMs(390).setEmittedAt(start.plusSeconds(61)).build();
    }
}
