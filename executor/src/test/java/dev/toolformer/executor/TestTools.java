package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.schema.ToolRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Tools and requests for tests. */
final class TestTools {
    private TestTools() {
    }

    /** The body of a test tool. */
    interface Body {
        ToolOutput execute(ToolCall call) throws Exception;
    }

    /** A tool that may ignore interrupts (the default): each attempt runs on a thread of its own. */
    static Tool tool(String name, Body body) {
        return new BodyTool(name, body, false);
    }

    /** A tool that declares itself {@link Tool#interruptible() interruptible}: it runs on the request's thread. */
    static Tool interruptibleTool(String name, Body body) {
        return new BodyTool(name, body, true);
    }

    /** An {@link AsyncTool}: {@code start} returns each call's stage. */
    static Tool asyncTool(String name, Function<ToolCall, CompletionStage<ToolOutput>> start) {
        return new AsyncBodyTool(name, start);
    }

    private record AsyncBodyTool(String name, Function<ToolCall, CompletionStage<ToolOutput>> start)
            implements AsyncTool {
        @Override
        public CompletionStage<ToolOutput> executeAsync(ToolCall call) {
            return start.apply(call);
        }
    }

    private record BodyTool(String name, Body body, boolean interruptible) implements Tool {
        @Override
        public ToolOutput execute(ToolCall call) throws Exception {
            return body.execute(call);
        }
    }

    static ToolRequest.Builder request(String tool, String argumentsJson) {
        return ToolRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setCorrelationId("corr")
                .setTool(tool)
                .setArgumentsJson(argumentsJson)
                .setTimeoutMs(10_000)
                .setSubmittedAt(Instant.now());
    }

    /** A runner over {@code tools} with its own metrics and resilience. */
    record Runner(RequestRunner runner, Resilience resilience, SimpleMeterRegistry meters, ExecutorService threads)
            implements AutoCloseable {

        static Runner of(ExecutorConfig config, Tool... tools) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ExecutorMetrics metrics = new ExecutorMetrics(meters, config.executorId());
            Resilience resilience = new Resilience(config, metrics);
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            RequestRunner runner = new RequestRunner(ToolRegistry.of(List.of(tools)), Pricing.defaults(),
                    config, threads, Clock.systemUTC(), resilience, metrics);
            return new Runner(runner, resilience, meters, threads);
        }

        RequestRunner.Run run(ToolRequest request) {
            return runner.run(request, new Execution(request.getRequestId(), null));
        }

        @Override
        public void close() {
            threads.shutdownNow();
        }
    }

    static ExecutorConfig.Builder config() {
        return ExecutorConfig.builder("test-executor").retryBackoff(Duration.ofMillis(1));
    }
}
