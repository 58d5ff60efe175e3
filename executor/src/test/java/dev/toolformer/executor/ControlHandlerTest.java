package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.embedded.testing.LogCapture;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlHandlerTest {
    private final ExecutorConfig config = TestTools.config().maxInFlight(40).build();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorMetrics metrics = new ExecutorMetrics(new SimpleMeterRegistry(), config.executorId());
    private final Resilience resilience = new Resilience(config, metrics);
    private final RequestHandler requests = new RequestHandler(config, new MockProducer<>(true, null,
            new StringSerializer(), new ByteArraySerializer()), new RequestRunner(ToolRegistry.of(List.of(new EchoTool())),
            Pricing.defaults(), config, workers, Clock.systemUTC(), resilience, metrics), metrics, Clock.systemUTC(),
            workers, RecordBudget.of(Map.of()), (topic, error) -> { });
    private final ControlHandler handler = new ControlHandler(config, resilience, requests, metrics, Clock.systemUTC(),
            timers);

    @AfterEach
    void stop() {
        timers.shutdownNow();
        workers.shutdownNow();
    }

    @Test
    void shouldNotLetTheExpiryOfAnEarlierThrottleLiftALaterOneOfTheSameScope() throws Exception {
        Instant now = Instant.now();
        handler.apply(command(ControlAction.THROTTLE).setExpiresAt(now.plusMillis(300)).build());
        handler.apply(command(ControlAction.THROTTLE).setExpiresAt(now.plusSeconds(30)).build());

        Thread.sleep(1_000);

        assertThat(requests.limit().maxInFlight()).isEqualTo(20);
    }

    @Test
    void shouldLiftAThrottleWhenItExpiresIfItIsStillTheOneInForce() {
        handler.apply(command(ControlAction.THROTTLE).setExpiresAt(Instant.now().plusMillis(300)).build());
        assertThat(requests.limit().maxInFlight()).isEqualTo(20);

        await().atMost(Duration.ofSeconds(10)).until(() -> requests.limit().maxInFlight() == 40);
    }

    @Test
    void shouldNotLetTheExpiryOfAForcedOpenBreakerCloseOneForcedOpenAgainSince() throws Exception {
        Instant now = Instant.now();
        handler.apply(command(ControlAction.OPEN_BREAKER).setTool("echo").setProvider("p")
                .setExpiresAt(now.plusMillis(300)).build());
        handler.apply(command(ControlAction.OPEN_BREAKER).setTool("echo").setProvider("p")
                .setExpiresAt(now.plusSeconds(30)).build());

        Thread.sleep(1_000);

        assertThat(resilience.breaker("echo", "p").getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);
    }

    @Test
    void shouldReplayAProbingBreakerOnlyForWhatIsLeftOfItsProbeDelay() {
        Instant now = Instant.now();
        boolean stale = handler.replay(command(ControlAction.OPEN_BREAKER).setTool("echo").setProvider("old")
                .setProbeAfterMs(30_000L).setIssuedAt(now.minusSeconds(60)).build());
        boolean fresh = handler.replay(command(ControlAction.OPEN_BREAKER).setTool("echo").setProvider("new")
                .setProbeAfterMs(30_000L).setIssuedAt(now.minusSeconds(10)).build());

        assertThat(stale).isFalse();
        assertThat(fresh).isTrue();
        assertThat(resilience.breaker("echo", "old").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(resilience.breaker("echo", "new").getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void shouldRunAGarbageCollectionOnTriggerGcAndLogTheHeapBeforeAndAfter() {
        try (LogCapture logs = new LogCapture()) {
            ControlCommand gc = command(ControlAction.TRIGGER_GC).build();

            assertThat(handler.apply(gc)).isTrue();

            assertThat(logs.lines()).anySatisfy(line -> assertThat(line)
                    .matches("INFO .*ControlHandler - Executor .* ran a garbage collection for command "
                            + gc.getCommandId() + ": heap in use \\d+ MiB -> \\d+ MiB of \\d+ MiB max, \\d+ ms"));
        }
    }

    @Test
    void shouldNotReplayATriggerGcAtStart() {
        try (LogCapture logs = new LogCapture()) {
            assertThat(handler.replay(command(ControlAction.TRIGGER_GC).build())).isFalse();

            assertThat(logs.lines()).noneMatch(line -> line.contains("garbage collection"));
        }
    }

    private static ControlCommand.Builder command(ControlAction action) {
        return ControlCommand.newBuilder().setCommandId(UUID.randomUUID().toString()).setTarget("*").setAction(action)
                .setIssuedAt(Instant.now()).setIssuedBy("test");
    }
}
