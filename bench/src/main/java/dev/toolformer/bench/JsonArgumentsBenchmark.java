package dev.toolformer.bench;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.json.Jackson;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the executor does with a request's arguments, as the JFR profile of {@code bench pipeline} found it: parse
 * them (validation) and write a tree back (the {@code echo} and {@code simulated} outputs), each request on a new
 * virtual thread. {@code pool=threadLocal} is Jackson's default recycler (a thread-local pool: every new virtual
 * thread allocates fresh buffers); {@code pool=shared} is {@link Jackson}'s shared bounded pool. Per request,
 * the virtual thread's start and join included in both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JsonArgumentsBenchmark {
    private static final String ARGUMENTS = "{\"name\":\"web_search\",\"latency_ms\":118,\"fail_probability\":0.02,"
            + "\"input_tokens\":642,\"output_tokens\":171,\"q\":\"capital of France\"}";

    @Param({"threadLocal", "shared"})
    public String pool;

    private ObjectMapper mapper;
    private ExecutorService threads;

    @Setup
    public void setUp() {
        mapper = pool.equals("shared") ? Jackson.mapper().build() : new ObjectMapper();
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @TearDown
    public void tearDown() {
        threads.shutdownNow();
    }

    @Benchmark
    public String parseAndWriteOnANewVirtualThread() throws InterruptedException, ExecutionException {
        return threads.submit(() -> {
            JsonNode tree = mapper.readTree(ARGUMENTS);
            return mapper.writeValueAsString(tree);
        }).get();
    }
}
