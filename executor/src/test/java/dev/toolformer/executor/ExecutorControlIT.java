package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.executor.tools.SimulatedTool;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rate limits, breakers, throttling and cancellation, driven through the topics. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ExecutorControlIT {
    private static final ToolRegistry TOOLS = ToolRegistry.of(List.of(new EchoTool(), new SimulatedTool()));

    private static double applied(SimpleMeterRegistry meters, ControlAction action) {
        var counter = meters.find("toolformer_executor_control_commands_total").tag("action", action.name()).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    @Timeout(60)
    void shouldRateLimitProviderFromConfigAndThrottleItThroughControlTopic(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ExecutorConfig config = harness.config("rates").providerRates(Map.of("limited", 4.0)).build();
            ToolExecutor executor = harness.start(config, TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            List<ToolResult> limited = runAll(harness, "limited", 9);
            harness.command(executor.executorId(), ControlAction.THROTTLE,
                    ControlCommand.newBuilder().setProvider("throttled").setRatePerS(4.0));
            await().atMost(Duration.ofSeconds(10)).until(() -> applied(meters, ControlAction.THROTTLE) == 1);
            List<ToolResult> throttled = runAll(harness, "throttled", 9);

            // 9 calls at 4 per second cannot all start within the first 2 seconds, however slow the machine.
            assertThat(spreadMillis(limited)).isGreaterThanOrEqualTo(1_750);
            assertThat(spreadMillis(throttled)).isGreaterThanOrEqualTo(1_750);
            assertThat(limited).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
            assertThat(throttled).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
        }
    }

    private static List<ToolResult> runAll(ExecutorHarness harness, String provider, int count) {
        List<ToolRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(request("echo", "{}").setProvider(provider).setTimeoutMs(30_000).build());
        }
        harness.send(requests);
        List<String> ids = requests.stream().map(ToolRequest::getRequestId).toList();
        await().atMost(Duration.ofSeconds(30)).until(() -> harness.answered(ids) == count);
        return ids.stream().map(harness::result).toList();
    }

    private static long spreadMillis(List<ToolResult> results) {
        return results.stream().map(ToolResult::getFinishedAt).max(Comparator.naturalOrder()).orElseThrow().toEpochMilli()
                - results.stream().map(ToolResult::getStartedAt).min(Comparator.naturalOrder()).orElseThrow().toEpochMilli();
    }

    @Test
    @Timeout(60)
    void shouldOpenAndCloseBreakerThroughControlTopic(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ToolExecutor executor = harness.start(harness.config("breaker").build(), TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            harness.command(executor.executorId(), ControlAction.OPEN_BREAKER,
                    ControlCommand.newBuilder().setTool("echo").setProvider("fragile").setReason("HighErrorRate"));
            harness.command("someone-else", ControlAction.OPEN_BREAKER, ControlCommand.newBuilder());
            await().atMost(Duration.ofSeconds(10)).until(() -> applied(meters, ControlAction.OPEN_BREAKER) == 1);
            ToolResult rejected = runOne(harness, request("echo", "{}").setProvider("fragile").build());
            ToolResult otherProvider = runOne(harness, request("echo", "{}").setProvider("sturdy").build());
            assertThat(meters.get("resilience4j.circuitbreaker.state").tags("method", "echo", "provider", "fragile",
                    "state", "forced_open").gauge().value()).isEqualTo(1.0);
            assertThat(meters.get("resilience4j.circuitbreaker.state").tags("method", "echo", "provider", "fragile",
                    "state", "closed").gauge().value()).isEqualTo(0.0);

            harness.command("*", ControlAction.CLOSE_BREAKER,
                    ControlCommand.newBuilder().setTool("echo").setProvider("fragile"));
            await().atMost(Duration.ofSeconds(10)).until(() -> applied(meters, ControlAction.CLOSE_BREAKER) == 1);
            ToolResult closed = runOne(harness, request("echo", "{}").setProvider("fragile").build());

            assertThat(rejected.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(rejected.getError().getType()).isEqualTo("CircuitOpen");
            assertThat(rejected.getAttempts()).isZero();
            assertThat(otherProvider.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(closed.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(meters.get("toolformer_executor_rejections_total").tags("reason", "CircuitOpen").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    @Timeout(60)
    void shouldLetAProbingBreakerCloseItselfWhenItsProbesSucceed(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ToolExecutor executor = harness.start(harness.config("probing").build(), TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            harness.command("*", ControlAction.OPEN_BREAKER, ControlCommand.newBuilder().setTool("echo")
                    .setProvider("recovering").setProbeAfterMs(2_000L).setReason("HighErrorRate"));
            await().atMost(Duration.ofSeconds(10)).until(() -> applied(meters, ControlAction.OPEN_BREAKER) == 1);
            ToolResult refused = runOne(harness, request("echo", "{}").setProvider("recovering").build());
            assertThat(refused.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(refused.getError().getType()).isEqualTo("CircuitOpen");

            // No CLOSE_BREAKER is ever sent: once the probe delay is over, calls that succeed close it.
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    runOne(harness, request("echo", "{}").setProvider("recovering").build()).getStatus()
                            == ToolStatus.SUCCESS);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                runOne(harness, request("echo", "{}").setProvider("recovering").build());
                return meters.get("resilience4j.circuitbreaker.state").tags("method", "echo",
                        "provider", "recovering", "state", "closed").gauge().value() == 1.0;
            });
            assertThat(meters.get("toolformer_executor_circuit_breaker_transitions_total")
                    .tags("method", "echo", "provider", "recovering", "to", "closed").counter().count()).isEqualTo(1.0);
            assertThat(applied(meters, ControlAction.CLOSE_BREAKER)).isZero();
            assertThat(executor.stats().breakersClosedByProbes()).isEqualTo(1);
        }
    }

    /**
     * A scale-out or rollout while an alert fires: commands published before the executor started are in
     * force when it is ready — a forced-open breaker refuses, a rate throttle paces — while one closed since
     * and a probing one whose probe delay is over are not.
     */
    @Test
    @Timeout(90)
    void shouldStartWithTheBreakersAndThrottlesInForceWhenItStartsAfterTheirCommands(KafkaTestCluster cluster)
            throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            String down = cluster.uniqueName("down");
            String reopened = cluster.uniqueName("closed-since");
            String probed = cluster.uniqueName("probed-long-ago");
            String slow = cluster.uniqueName("slow");
            harness.command("*", ControlAction.OPEN_BREAKER, ControlCommand.newBuilder().setTool("echo").setProvider(down));
            harness.command("*", ControlAction.OPEN_BREAKER, ControlCommand.newBuilder().setTool("echo")
                    .setProvider(reopened));
            harness.command("*", ControlAction.CLOSE_BREAKER, ControlCommand.newBuilder().setTool("echo")
                    .setProvider(reopened));
            harness.command("*", ControlAction.OPEN_BREAKER, ControlCommand.newBuilder().setTool("echo")
                    .setProvider(probed).setProbeAfterMs(1L));
            harness.command("*", ControlAction.THROTTLE, ControlCommand.newBuilder().setProvider(slow).setRatePerS(2.0));
            SimpleMeterRegistry meters = new SimpleMeterRegistry();

            ToolExecutor executor = harness.start(harness.config("late").build(), TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            ToolResult refused = runOne(harness, request("echo", "{}").setProvider(down).build());
            assertThat(refused.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(refused.getError().getType()).isEqualTo("CircuitOpen");
            assertThat(runOne(harness, request("echo", "{}").setProvider(reopened).build()).getStatus())
                    .isEqualTo(ToolStatus.SUCCESS);
            assertThat(runOne(harness, request("echo", "{}").setProvider(probed).build()).getStatus())
                    .isEqualTo(ToolStatus.SUCCESS);
            // 6 calls at 2 per second cannot all start within 2 seconds, however slow the machine.
            List<ToolResult> paced = runAll(harness, slow, 6);
            assertThat(paced).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
            assertThat(spreadMillis(paced)).isGreaterThanOrEqualTo(2_000);
            assertThat(meters.get("toolformer_executor_control_commands_recovered_total").tag("action", "THROTTLE")
                    .counter().count()).isGreaterThanOrEqualTo(1.0);
            assertThat(applied(meters, ControlAction.OPEN_BREAKER)).isZero();
        } finally {
            // Later executors on this broker replay the topic too.
            try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
                harness.command("*", ControlAction.RESUME, ControlCommand.newBuilder().setTool("echo"));
            }
        }
    }

    private static ToolResult runOne(ExecutorHarness harness, ToolRequest request) {
        harness.send(List.of(request));
        await().atMost(Duration.ofSeconds(30)).until(() -> harness.result(request.getRequestId()) != null);
        return harness.result(request.getRequestId());
    }

    @Test
    @Timeout(60)
    void shouldCancelRunningRequestsByControlCommandAndNegativeSpeculationOutcome(KafkaTestCluster cluster)
            throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("cancel").build(), TOOLS, new SimpleMeterRegistry());
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            ToolRequest cancelled = request("simulated", "{\"latency_ms\":30000}").setTimeoutMs(60_000).build();
            ToolRequest speculative = request("simulated", "{\"latency_ms\":30000}").setTimeoutMs(60_000)
                    .setSpeculative(true).build();
            ToolRequest used = request("simulated", "{\"latency_ms\":500}").setSpeculative(true).build();
            harness.send(List.of(cancelled, speculative, used));
            await().atMost(Duration.ofSeconds(30)).until(() -> executor.inFlight() == 3);

            harness.command(executor.executorId(), ControlAction.CANCEL,
                    ControlCommand.newBuilder().setRequestId(cancelled.getRequestId()).setReason("operator"));
            harness.outcome(speculative.getRequestId(), false);
            harness.outcome(used.getRequestId(), true);

            List<String> ids = List.of(cancelled.getRequestId(), speculative.getRequestId(), used.getRequestId());
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.answered(ids) == 3);
            ToolResult byCommand = harness.result(cancelled.getRequestId());
            assertThat(byCommand.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(byCommand.getError().getMessage()).startsWith("cancelled by control command ").endsWith(": operator");
            ToolResult byOutcome = harness.result(speculative.getRequestId());
            assertThat(byOutcome.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(byOutcome.getSpeculative()).isTrue();
            assertThat(byOutcome.getError().getMessage()).isEqualTo("speculative result not used: test");
            assertThat(harness.result(used.getRequestId()).getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(executor.stats().cancelled()).isEqualTo(2);
        }
    }

    @Test
    @Timeout(60)
    void shouldLowerAndRestoreMaxInFlightThroughControlTopic(KafkaTestCluster cluster) throws Exception {
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ToolExecutor executor = harness.start(harness.config("throttle").maxInFlight(40).build(), TOOLS, meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);

            harness.command("*", ControlAction.THROTTLE, ControlCommand.newBuilder());
            await().atMost(Duration.ofSeconds(10)).until(() -> executor.stats().maxInFlight() == 20);
            List<ToolRequest> requests = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                requests.add(request("simulated", "{\"latency_ms\":300}").build());
            }
            harness.send(requests);
            List<String> ids = requests.stream().map(ToolRequest::getRequestId).toList();
            await().atMost(Duration.ofSeconds(30)).until(() -> harness.answered(ids) == 60);
            assertThat(executor.stats().peakInFlight()).isLessThanOrEqualTo(20);

            harness.command("*", ControlAction.RESUME, ControlCommand.newBuilder());
            await().atMost(Duration.ofSeconds(10)).until(() -> executor.stats().maxInFlight() == 40);
            assertThat(meters.get("toolformer_executor_max_in_flight").gauge().value()).isEqualTo(40.0);
        }
    }
}
