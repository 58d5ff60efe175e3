package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.config;
import static dev.toolformer.executor.TestTools.request;
import static dev.toolformer.executor.TestTools.tool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class RequestRunnerTest {

    private static ToolResult runOnce(ExecutorConfig config, ToolRequest request, Tool... tools) {
        try (TestTools.Runner runner = TestTools.Runner.of(config, tools)) {
            return runner.run(request).result();
        }
    }

    private static ToolResult runEcho(ToolRequest request) {
        return runOnce(config().build(), request, new EchoTool());
    }

    @Test
    void shouldAnswerTimeoutWithoutRunningARequestWhoseDeadlineFromSubmissionHasPassed() {
        AtomicInteger calls = new AtomicInteger();
        Tool counting = tool("counting", call -> {
            calls.incrementAndGet();
            return new ToolOutput("{}", 0, 0);
        });
        ToolRequest stale = request("counting", "{}").setTimeoutMs(10_000)
                .setSubmittedAt(Instant.now().minus(Duration.ofDays(3))).build();

        ToolResult result = runOnce(config().build(), stale, counting);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getError().getType()).isEqualTo(RequestRunner.EXPIRED_BEFORE_START);
        assertThat(result.getError().getMessage()).contains("with timeout_ms 10000").endsWith("not run");
        assertThat(result.getAttempts()).isZero();
        assertThat(calls).hasValue(0);
    }

    @Test
    void shouldRunARequestWhoseSubmissionIsWithinItsTimeoutOrTheClockSkewAllowance() {
        ToolRequest lateButAllowed = request("echo", "{}").setTimeoutMs(1_000)
                .setSubmittedAt(Instant.now().minusSeconds(3)).build();

        assertThat(runEcho(lateButAllowed).getStatus()).isEqualTo(ToolStatus.SUCCESS);
    }

    @Test
    void shouldRunToolAndCarryRequestFields() {
        ToolRequest request = request("echo", "{\"x\":1}").setProvider("local").setModel("m").setSpeculative(true).build();

        ToolResult result = runEcho(request);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.SUCCESS);
        assertThat(result.getOutputJson()).isEqualTo("{\"x\":1}");
        assertThat(result.getAttempts()).isEqualTo(1);
        assertThat(result.getRequestId()).isEqualTo(request.getRequestId());
        assertThat(result.getCorrelationId()).isEqualTo("corr");
        assertThat(result.getProvider()).isEqualTo("local");
        assertThat(result.getModel()).isEqualTo("m");
        assertThat(result.getSpeculative()).isTrue();
        assertThat(result.getExecutorId()).isEqualTo("test-executor");
        assertThat(result.getError()).isNull();
    }

    @Test
    void shouldRejectUnknownToolNamingKnownTools() {
        ToolResult result = runEcho(request("nope", "{}").build());

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getAttempts()).isZero();
        assertThat(result.getError().getType()).isEqualTo("UnknownTool");
        assertThat(result.getError().getMessage()).isEqualTo("unknown tool 'nope'; known tools: [echo]");
        assertThat(result.getError().getRetriable()).isFalse();
    }

    @Test
    void shouldRejectArgumentsThatAreNotJson() {
        ToolResult result = runEcho(request("echo", "{not json").build());

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getError().getType()).isEqualTo("InvalidJson");
        assertThat(result.getError().getMessage()).isEqualTo("arguments_json is not valid JSON");
    }

    @Test
    void shouldRejectEmptyArgumentsAndTrailingGarbageAsNotJson() {
        assertThat(runEcho(request("echo", "").build()).getError().getType()).isEqualTo("InvalidJson");
        assertThat(runEcho(request("echo", "{} {}").build()).getError().getType()).isEqualTo("InvalidJson");
    }

    @Test
    void shouldRejectArgumentsThatAreNotAnObject() {
        ToolResult result = runEcho(request("echo", "[1,2]").build());

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getError().getType()).isEqualTo("NotAnObject");
        assertThat(result.getError().getMessage()).isEqualTo("arguments_json must be a JSON object, was array");
    }

    @Test
    void shouldRejectNonPositiveTimeout() {
        ToolResult zero = runEcho(request("echo", "{}").setTimeoutMs(0).build());
        ToolResult negative = runEcho(request("echo", "{}").setTimeoutMs(-5).build());

        assertThat(zero.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(zero.getError().getType()).isEqualTo("InvalidTimeout");
        assertThat(zero.getError().getMessage()).isEqualTo("timeout_ms must be > 0, was 0");
        assertThat(negative.getError().getMessage()).isEqualTo("timeout_ms must be > 0, was -5");
    }

    @Test
    void shouldRejectTimeoutAboveMaximum() {
        ExecutorConfig config = config().maxTimeout(Duration.ofSeconds(60)).build();

        ToolResult result = runOnce(config, request("echo", "{}").setTimeoutMs(60_001).build(), new EchoTool());

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getError().getMessage()).isEqualTo("timeout_ms must be <= 60000, was 60001");
    }

    @Test
    void shouldRejectOversizedArgumentsCountingUtf8Bytes() {
        ExecutorConfig config = config().maxArgumentsBytes(20).build();
        String args = "{\"t\":\"ééééééé\"}"; // 15 chars, 22 bytes

        ToolResult result = runOnce(config, request("echo", args).build(), new EchoTool());

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getError().getType()).isEqualTo("ArgumentsTooLarge");
        assertThat(result.getError().getMessage()).isEqualTo("arguments_json is 22 bytes, more than the 20 allowed");
        assertThat(runOnce(config, request("echo", "{\"t\":\"abcdefg\"}").build(), new EchoTool()).getStatus())
                .isEqualTo(ToolStatus.SUCCESS);
    }

    @Test
    void shouldRejectArgumentsTheToolRefusesWithoutRetrying() {
        AtomicInteger calls = new AtomicInteger();
        Tool strict = tool("strict", call -> {
            calls.incrementAndGet();
            throw new InvalidArgumentsException("missing required argument 'url'");
        });

        ToolResult result = runOnce(config().build(), request("strict", "{}").build(), strict);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.REJECTED);
        assertThat(result.getError().getType()).isEqualTo("InvalidArguments");
        assertThat(result.getError().getMessage()).isEqualTo("missing required argument 'url'");
        assertThat(calls).hasValue(1);
    }

    @Test
    void shouldTimeOutAndInterruptTool() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        Tool slow = tool("slow", call -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return ToolOutput.of("{}");
        });

        ToolResult result = runOnce(config().build(), request("slow", "{}").setTimeoutMs(200).build(), slow);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getError().getType()).isEqualTo("Timeout");
        assertThat(result.getError().getMessage()).startsWith("deadline passed during attempt 1");
        assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldRetryRetriableFailureThenSucceed() {
        AtomicInteger calls = new AtomicInteger();
        Tool flaky = tool("flaky", call -> {
            if (calls.incrementAndGet() < 3) {
                throw new RetriableToolException("503 from upstream");
            }
            return ToolOutput.of("{\"ok\":true}");
        });

        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), flaky)) {
            RequestRunner.Run run = runner.run(request("flaky", "{}").setProvider("p").build());

            assertThat(run.result().getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(run.result().getAttempts()).isEqualTo(3);
            assertThat(run.retriesExhausted()).isFalse();
            assertThat(runner.meters().get("toolformer_executor_retries_total").tags("method", "flaky", "provider", "p")
                    .counter().count()).isEqualTo(2.0);
        }
    }

    @Test
    void shouldGiveUpWithErrorAfterMaxAttemptsOfRetriableFailure() {
        AtomicInteger calls = new AtomicInteger();
        Tool down = tool("down", call -> {
            calls.incrementAndGet();
            throw new RetriableToolException("connection reset");
        });

        try (TestTools.Runner runner = TestTools.Runner.of(config().maxAttempts(4).build(), down)) {
            RequestRunner.Run run = runner.run(request("down", "{}").build());

            assertThat(run.result().getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(run.result().getAttempts()).isEqualTo(4);
            assertThat(run.result().getError().getType()).isEqualTo("RetriableToolException");
            assertThat(run.result().getError().getMessage()).isEqualTo("connection reset");
            assertThat(run.result().getError().getRetriable()).isTrue();
            assertThat(run.retriesExhausted()).isTrue();
            assertThat(calls).hasValue(4);
        }
    }

    @Test
    void shouldPreferRequestMaxAttemptsOverConfigured() {
        AtomicInteger calls = new AtomicInteger();
        Tool down = tool("down", call -> {
            calls.incrementAndGet();
            throw new RetriableToolException("busy");
        });

        ToolResult result = runOnce(config().build(), request("down", "{}").setMaxAttempts(5).build(), down);

        assertThat(result.getAttempts()).isEqualTo(5);
        assertThat(calls).hasValue(5);
    }

    @Test
    void shouldNotRetryPermanentFailure() {
        AtomicInteger calls = new AtomicInteger();
        Tool broken = tool("broken", call -> {
            calls.incrementAndGet();
            throw new IllegalStateException("bad state");
        });

        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), broken)) {
            RequestRunner.Run run = runner.run(request("broken", "{}").build());

            assertThat(run.result().getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(run.result().getAttempts()).isEqualTo(1);
            assertThat(run.result().getError().getType()).isEqualTo("IllegalStateException");
            assertThat(run.result().getError().getRetriable()).isFalse();
            assertThat(run.retriesExhausted()).isFalse();
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void shouldPriceTokenUsageFromPricingTable() {
        Tool model = tool("model", call -> new ToolOutput("{}", 1_000_000, 500_000));

        ToolResult result = runOnce(config().build(),
                request("model", "{}").setProvider("openai").setModel("gpt-4o").build(), model);

        assertThat(result.getInputTokens()).isEqualTo(1_000_000);
        assertThat(result.getOutputTokens()).isEqualTo(500_000);
        assertThat(result.getCostUsd()).isEqualTo(2.50 + 5.00);
    }

    @ParameterizedTest(name = "interruptible tool: {0}")
    @ValueSource(booleans = {false, true})
    void shouldFinishCancelledWhenCancelledWhileRunning(boolean interruptible) throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        TestTools.Body body = call -> {
            running.countDown();
            Thread.sleep(30_000);
            return ToolOutput.of("{}");
        };
        Tool slow = interruptible ? TestTools.interruptibleTool("slow", body) : tool("slow", body);
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), slow)) {
            ToolRequest request = request("slow", "{}").build();
            Execution execution = new Execution(request.getRequestId(), null);
            Thread.ofVirtual().start(() -> {
                try {
                    running.await();
                } catch (InterruptedException e) {
                    return;
                }
                execution.cancel("cancelled by operator");
            });

            ToolResult result = runner.runner().run(request, execution).result();

            assertThat(result.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(result.getError().getType()).isEqualTo("Cancelled");
            assertThat(result.getError().getMessage()).isEqualTo("cancelled by operator");
        }
    }

    @Test
    void shouldRunAnInterruptibleToolOnTheRequestsOwnThreadAndInterruptItAtTheDeadline() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        // It notices the interrupt without clearing it, and returns: the attempt still timed out.
        Tool sleepy = TestTools.interruptibleTool("sleepy", call -> {
            ranOn.set(Thread.currentThread());
            while (!Thread.currentThread().isInterrupted()) {
                Thread.onSpinWait();
            }
            interrupted.set(true);
            return ToolOutput.of("{}");
        });
        ToolRequest request = request("sleepy", "{}").setTimeoutMs(200).setMaxAttempts(1).build();

        ToolResult result = runOnce(config().build(), request, sleepy);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(interrupted).isTrue();
        // One thread per request in flight, not two: the attempt ran where the request runs.
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        // ...and the deadline's interrupt does not outlive the attempt (the result is published next, on this thread).
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void shouldRunAToolThatMayIgnoreInterruptsOnAThreadOfItsOwnAndStillTimeItOut() throws Exception {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        Tool stubborn = tool("stubborn", call -> {
            ranOn.set(Thread.currentThread());
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // a tool that swallows interrupts: the request must time out anyway
                }
            }
            return ToolOutput.of("{}");
        });
        ToolRequest request = request("stubborn", "{}").setTimeoutMs(200).setMaxAttempts(1).build();
        try {
            ToolResult result = runOnce(config().build(), request, stubborn);

            assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
            assertThat(ranOn.get()).isNotNull().isNotSameAs(Thread.currentThread());
        } finally {
            release.countDown();
        }
    }

    @Test
    void shouldHoldNoThreadWhileAnAsyncToolWaitsAndCarryTheRequestOnWhenItCompletes() throws Exception {
        CompletableFuture<ToolOutput> pending = new CompletableFuture<>();
        Tool waiting = TestTools.asyncTool("waiting", call -> pending);
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), waiting)) {
            ToolRequest request = request("waiting", "{}").setProvider("p").build();
            CompletableFuture<RequestRunner.Run> ran = new CompletableFuture<>();
            AtomicReference<Thread> endedOn = new AtomicReference<>();

            runner.runner().start(request, new Execution(request.getRequestId(), null), (run, bug) -> {
                endedOn.set(Thread.currentThread());
                ran.complete(run);
            });

            // start returned while the tool waits: the calling thread is free, nothing has ended
            assertThat(ran).isNotDone();
            assertThat(runner.meters().get("active_tool_executions").tags("tool_type", "waiting").gauge()
                    .value()).isEqualTo(1.0);
            // completed on a platform thread (a timer's): the request goes on on a virtual thread of the executor's
            Thread.ofPlatform().start(() -> pending.complete(new ToolOutput("{\"ok\":true}", 3, 4))).join();
            ToolResult result = ran.get(10, TimeUnit.SECONDS).result();

            assertThat(result.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(result.getOutputJson()).isEqualTo("{\"ok\":true}");
            assertThat(result.getAttempts()).isEqualTo(1);
            assertThat(result.getInputTokens()).isEqualTo(3);
            assertThat(endedOn.get().isVirtual()).isTrue();
            assertThat(runner.meters().get("active_tool_executions").tags("tool_type", "waiting").gauge()
                    .value()).isZero();
        }
    }

    @Test
    void shouldTimeOutAnAsyncToolAtItsDeadlineAndCancelItsStage() {
        CompletableFuture<ToolOutput> never = new CompletableFuture<>();
        Tool stuck = TestTools.asyncTool("stuck", call -> never);
        ToolRequest request = request("stuck", "{}").setTimeoutMs(200).setMaxAttempts(1).build();

        ToolResult result = runOnce(config().build(), request, stuck);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getError().getMessage()).startsWith("deadline passed during attempt 1");
        assertThat(never).isCancelled();
    }

    @ParameterizedTest(name = "abandoned (its partition revoked) rather than cancelled: {0}")
    @ValueSource(booleans = {false, true})
    void shouldStopWaitingAtOnceWhenCancelledOrAbandonedWhileAnAsyncToolWaits(boolean abandoned) {
        CompletableFuture<ToolOutput> never = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(1);
        Tool slow = TestTools.asyncTool("slow", call -> {
            started.countDown();
            return never;
        });
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), slow)) {
            ToolRequest request = request("slow", "{}").setTimeoutMs(60_000).build();
            Execution execution = new Execution(request.getRequestId(), null);
            CompletableFuture<RequestRunner.Run> ran = new CompletableFuture<>();
            runner.runner().start(request, execution, (run, bug) -> ran.complete(run));
            assertThat(started.getCount()).isZero();

            assertThat(abandoned ? execution.abandon() : execution.cancel("cancelled by operator")).isTrue();
            ToolResult result = ran.orTimeout(10, TimeUnit.SECONDS).join().result();

            // Not at the 60 s deadline: at once, and the tool is told to let go.
            assertThat(result.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(result.getError().getMessage()).isEqualTo(abandoned ? "cancelled" : "cancelled by operator");
            assertThat(never).isCancelled();
            // An abandoned request publishes nothing: its handler is told by finish().
            assertThat(execution.finish()).isEqualTo(!abandoned);
        }
    }

    @Test
    void shouldRetryAnAsyncToolsRetriableFailureAfterABackoffAndClassifyWhatItsStageFailsWith() {
        AtomicInteger calls = new AtomicInteger();
        Tool flaky = TestTools.asyncTool("flaky", call -> calls.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(new RetriableToolException("503 from upstream"))
                : CompletableFuture.completedFuture(ToolOutput.of("{}")));
        Tool refusing = TestTools.asyncTool("refusing", call -> {
            throw new IllegalArgumentException("thrown by executeAsync itself");
        });
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), flaky, refusing)) {
            RequestRunner.Run run = runner.run(request("flaky", "{}").setProvider("p").build());
            ToolResult refused = runner.run(request("refusing", "{}").build()).result();

            assertThat(run.result().getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(run.result().getAttempts()).isEqualTo(3);
            assertThat(runner.meters().get("toolformer_executor_retries_total").tags("method", "flaky", "provider", "p")
                    .counter().count()).isEqualTo(2.0);
            assertThat(refused.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(refused.getError().getType()).isEqualTo("IllegalArgumentException");
            assertThat(refused.getError().getRetriable()).isFalse();
        }
    }

    @Test
    void shouldFinishCancelledWithoutRunningWhenCancelledBeforeStart() {
        AtomicInteger calls = new AtomicInteger();
        Tool counted = tool("counted", call -> {
            calls.incrementAndGet();
            return ToolOutput.of("{}");
        });
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), counted)) {
            ToolRequest request = request("counted", "{}").build();
            Execution execution = new Execution(request.getRequestId(), null);
            execution.cancel("speculative result not used");

            ToolResult result = runner.runner().run(request, execution).result();

            assertThat(result.getStatus()).isEqualTo(ToolStatus.CANCELLED);
            assertThat(result.getAttempts()).isZero();
            assertThat(calls).hasValue(0);
        }
    }

    @Test
    void shouldRejectFastWhenBreakerIsForcedOpen() {
        AtomicInteger calls = new AtomicInteger();
        Tool counted = tool("counted", call -> {
            calls.incrementAndGet();
            return ToolOutput.of("{}");
        });
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), counted)) {
            runner.resilience().openBreakers("counted", "p");

            ToolResult open = runner.run(request("counted", "{}").setProvider("p").build()).result();
            ToolResult otherProvider = runner.run(request("counted", "{}").setProvider("q").build()).result();

            assertThat(open.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(open.getError().getType()).isEqualTo("CircuitOpen");
            assertThat(open.getError().getMessage())
                    .isEqualTo("circuit breaker of tool 'counted' with provider 'p' is forced_open");
            assertThat(otherProvider.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(calls).hasValue(1);

            runner.resilience().closeBreakers(null, null);
            assertThat(runner.run(request("counted", "{}").setProvider("p").build()).result().getStatus())
                    .isEqualTo(ToolStatus.SUCCESS);
        }
    }

    @Test
    void shouldOpenBreakerAfterFailureRateReachesThreshold() {
        Tool broken = tool("broken", call -> {
            throw new IllegalStateException("down");
        });
        ExecutorConfig config = config().breakerMinimumCalls(4).breakerOpenDuration(Duration.ofMinutes(5)).build();
        try (TestTools.Runner runner = TestTools.Runner.of(config, broken)) {
            for (int i = 0; i < 4; i++) {
                assertThat(runner.run(request("broken", "{}").build()).result().getStatus()).isEqualTo(ToolStatus.ERROR);
            }

            ToolResult result = runner.run(request("broken", "{}").build()).result();

            assertThat(result.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(result.getError().getType()).isEqualTo("CircuitOpen");
            assertThat(runner.resilience().openBreakers()).isEqualTo(1);
        }
    }

    @Test
    void shouldProbeBreakerOpenedWithProbingAndCloseItOnlyWhenProbesSucceed() {
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger calls = new AtomicInteger();
        Tool flaky = tool("flaky", call -> {
            calls.incrementAndGet();
            if (failing.get()) {
                throw new IllegalStateException("provider down");
            }
            return ToolOutput.of("{}");
        });
        ExecutorConfig config = config().breakerMinimumCalls(2).breakerOpenDuration(Duration.ofMillis(100)).build();
        try (TestTools.Runner runner = TestTools.Runner.of(config, flaky)) {
            // One failure creates the breaker (below its minimum calls, still closed); then it is opened with probing.
            assertThat(runner.run(request("flaky", "{}").setProvider("p").build()).result().getStatus())
                    .isEqualTo(ToolStatus.ERROR);
            runner.resilience().openBreakers("flaky", "p", Duration.ofMillis(100));
            ToolResult refused = runner.run(request("flaky", "{}").setProvider("p").build()).result();
            assertThat(refused.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(refused.getError().getMessage())
                    .isEqualTo("circuit breaker of tool 'flaky' with provider 'p' is open");
            assertThat(calls).hasValue(1);

            // Half-open: the probes reach the failing provider, fail, and the breaker opens again.
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    runner.run(request("flaky", "{}").setProvider("p").build()).result().getStatus() == ToolStatus.ERROR);
            runner.run(request("flaky", "{}").setProvider("p").build());
            assertThat(runner.resilience().breaker("flaky", "p").getState()).isEqualTo(CircuitBreaker.State.OPEN);

            // The provider recovers: the next probes succeed and close the breaker, with no command from outside.
            failing.set(false);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    runner.run(request("flaky", "{}").setProvider("p").build()).result().getStatus() == ToolStatus.SUCCESS);
            runner.run(request("flaky", "{}").setProvider("p").build());
            assertThat(runner.resilience().breaker("flaky", "p").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(runner.meters().get("toolformer_executor_circuit_breaker_transitions_total")
                    .tags("method", "flaky", "provider", "p", "to", "closed").counter().count()).isEqualTo(1);
        }
    }

    @Test
    void shouldOpenBreakersCreatedAfterAProbingOpenUntilTheyMayProbe() {
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), new EchoTool())) {
            runner.resilience().openBreakers(null, "p", Duration.ofMinutes(5));

            ToolResult result = runner.run(request("echo", "{}").setProvider("p").build()).result();

            assertThat(result.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(result.getError().getType()).isEqualTo("CircuitOpen");
            assertThatThrownBy(() -> runner.resilience().openBreakers(null, "p", Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("probe_after_ms must be > 0, was 0");
        }
    }

    @Test
    void shouldAnswerUnavailableWhenRateLimitDelaysCallPastDeadline() {
        ExecutorConfig config = config().providerRates(Map.of("p", 0.1)).build();
        try (TestTools.Runner runner = TestTools.Runner.of(config, new EchoTool())) {
            ToolResult first = runner.run(request("echo", "{}").setProvider("p").build()).result();
            ToolResult second = runner.run(request("echo", "{}").setProvider("p").setTimeoutMs(300).build()).result();
            ToolResult unlimited = runner.run(request("echo", "{}").setProvider("q").setTimeoutMs(300).build()).result();

            assertThat(first.getStatus()).isEqualTo(ToolStatus.SUCCESS);
            assertThat(second.getStatus()).isEqualTo(ToolStatus.UNAVAILABLE);
            assertThat(second.getError().getType()).isEqualTo("Throttled");
            assertThat(second.getError().getMessage())
                    .isEqualTo("the rate limit of provider 'p' would delay attempt 1 past its deadline");
            assertThat(unlimited.getStatus()).isEqualTo(ToolStatus.SUCCESS);
        }
    }

    @Test
    void shouldCountActiveExecutionsPerToolAndReturnToZero() {
        try (TestTools.Runner runner = TestTools.Runner.of(config().build(), new EchoTool())) {
            runner.run(request("echo", "{}").build());

            assertThat(runner.meters().get("active_tool_executions").tags("tool_type", "echo").gauge().value())
                    .isZero();
        }
    }
}
