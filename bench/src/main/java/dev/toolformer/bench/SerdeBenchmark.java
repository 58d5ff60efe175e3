package dev.toolformer.bench;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Avro single-object serde ({@link AvroSerde}) on the two records every request crosses: a
 * {@link ToolRequest} (read by the executor) and a {@link ToolResult} (written by it, read by analytics
 * and clients), shaped like the load generator's simulated calls.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SerdeBenchmark {
    private final AvroSerde<ToolRequest> requests = AvroSerde.of(ToolRequest.class);
    private final AvroSerde<ToolResult> results = AvroSerde.of(ToolResult.class);
    private ToolRequest request;
    private ToolResult result;
    private byte[] requestBytes;
    private byte[] resultBytes;

    @Setup
    public void setUp() {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.parse("2026-11-28T12:00:00.123Z");
        request = ToolRequest.newBuilder()
                .setRequestId(id)
                .setCorrelationId(id)
                .setTool("simulated")
                .setArgumentsJson("{\"name\":\"web_search\",\"latency_ms\":118,\"fail_probability\":0.02,"
                        + "\"input_tokens\":642,\"output_tokens\":171}")
                .setTimeoutMs(5_000L)
                .setSubmittedAt(now)
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .build();
        result = ToolResult.newBuilder()
                .setRequestId(id)
                .setCorrelationId(id)
                .setTool("simulated")
                .setStatus(ToolStatus.SUCCESS)
                .setOutputJson("{\"tool\":\"web_search\",\"model\":\"gpt-4o-mini\",\"latency_ms\":118,"
                        + "\"text\":\"simulated answer for " + id + "\"}")
                .setError(null)
                .setAttempts(1)
                .setSpeculative(false)
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setSubmittedAt(now)
                .setStartedAt(now.plusMillis(3))
                .setFinishedAt(now.plusMillis(121))
                .setInputTokens(642L)
                .setOutputTokens(171L)
                .setCostUsd(0.000199)
                .setExecutorId("executor-1")
                .build();
        requestBytes = requests.encode(request);
        resultBytes = results.encode(result);
    }

    @Benchmark
    public byte[] encodeRequest() {
        return requests.encode(request);
    }

    @Benchmark
    public ToolRequest decodeRequest() {
        return requests.decode(requestBytes);
    }

    @Benchmark
    public byte[] encodeResult() {
        return results.encode(result);
    }

    @Benchmark
    public ToolResult decodeResult() {
        return results.decode(resultBytes);
    }
}
