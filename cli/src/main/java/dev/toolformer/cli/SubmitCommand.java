package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer submit}: publish one tool call, optionally wait for its result. */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Publish one tool-call request; with --wait, print its result as JSON.")
final class SubmitCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--tool", required = true, paramLabel = "NAME", description = "Tool to call, e.g. echo, simulated.")
    String tool;

    @Option(names = "--args", paramLabel = "JSON", defaultValue = "{}",
            description = "Arguments as a JSON object (default: ${DEFAULT-VALUE}).")
    String args;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "Deadline of the call (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--provider", paramLabel = "NAME", defaultValue = "", description = "Provider, for pricing and SLOs.")
    String provider;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "", description = "Model, for pricing.")
    String model;

    @Option(names = "--wait", description = "Wait for the result and print it.")
    boolean await;

    @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration waitTimeout;

    @Override
    public Integer call() throws Exception {
        JsonNode parsed;
        try {
            parsed = JSON.readTree(args);
        } catch (Exception e) {
            throw new IllegalArgumentException("--args is not valid JSON: " + args);
        }
        if (parsed == null || !parsed.isObject()) {
            throw new IllegalArgumentException("--args must be a JSON object, e.g. '{\"x\":1}', was: " + args);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be > 0, was " + timeout);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ToolformerClient client = new ToolformerClient(kafka.settings())) {
            ToolRequest request = client.newRequest(tool, parsed.toString(), timeout)
                    .setProvider(provider).setModel(model).build();
            if (await) {
                ToolResult result = unwrap(client.submit(request, waitTimeout), request);
                out.println(RecordJson.toJson(result));
                out.flush();
                return 0;
            }
            RecordMetadata sent;
            try {
                sent = client.publish(request).get(waitTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw cannotSubmit(e.getCause());
            }
            out.println(JSON.writeValueAsString(Map.of("request_id", request.getRequestId(),
                    "topic", sent.topic(), "partition", sent.partition(), "offset", sent.offset())));
            out.flush();
            return 0;
        }
    }

    private ToolResult unwrap(CompletableFuture<ToolResult> future, ToolRequest request)
            throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new IllegalStateException("no result for request " + request.getRequestId() + " within "
                        + DemoCommand.human(waitTimeout) + " (is an executor running?)");
            }
            throw cannotSubmit(e.getCause());
        }
    }

    /** A refusal already says what failed and what to check; anything else gets that prefix. */
    private static IllegalStateException cannotSubmit(Throwable cause) {
        return new IllegalStateException(cause instanceof KafkaAccessException ? cause.getMessage()
                : "cannot submit: " + cause.getMessage(), cause);
    }
}
