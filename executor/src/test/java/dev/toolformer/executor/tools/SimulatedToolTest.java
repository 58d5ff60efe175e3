package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import org.junit.jupiter.api.Test;

class SimulatedToolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ToolCall call(String args) throws Exception {
        return new ToolCall("req-1", "simulated", (ObjectNode) JSON.readTree(args), "openai", "gpt-4o", false, 1,
                Instant.now().plusSeconds(60));
    }

    @Test
    void shouldReportTokensAndDescribeAnswer() throws Exception {
        ToolOutput out = new SimulatedTool().execute(call("{\"name\":\"search\",\"input_tokens\":12,\"output_tokens\":34}"));

        assertThat(out.inputTokens()).isEqualTo(12);
        assertThat(out.outputTokens()).isEqualTo(34);
        assertThat(JSON.readTree(out.outputJson())).isEqualTo(JSON.readTree(
                "{\"tool\":\"search\",\"model\":\"gpt-4o\",\"latency_ms\":0,\"text\":\"simulated answer for req-1\"}"));
    }

    @Test
    void shouldFailRetriablyOrPermanentlyByType() {
        assertThatThrownBy(() -> new SimulatedTool().execute(call("{\"fail_probability\":1,\"retriable\":true}")))
                .isInstanceOf(RetriableToolException.class).hasMessage("simulated failure of simulated");
        assertThatThrownBy(() -> new SimulatedTool().execute(call("{\"fail_probability\":1,\"name\":\"x\"}")))
                .isInstanceOf(IllegalStateException.class).hasMessage("simulated failure of x");
    }

    @Test
    void shouldRejectInvalidArguments() {
        assertThatThrownBy(() -> new SimulatedTool().execute(call("{\"latency_ms\":-1}")))
                .isInstanceOf(InvalidArgumentsException.class).hasMessage("latency_ms must be a non-negative integer, was -1");
        assertThatThrownBy(() -> new SimulatedTool().execute(call("{\"fail_probability\":2}")))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessage("fail_probability must be a number between 0 and 1, was 2");
    }

    @Test
    void shouldWaitWithoutAThreadAndLetGoOfItsTimerWhenCancelled() throws Exception {
        SimulatedTool tool = new SimulatedTool();
        CompletableFuture<ToolOutput> quick = tool.executeAsync(call("{\"latency_ms\":200}")).toCompletableFuture();
        CompletableFuture<ToolOutput> slow = tool.executeAsync(call("{\"latency_ms\":60000}")).toCompletableFuture();

        // executeAsync returned at once: the calls wait on the tool's timer
        assertThat(quick).isNotDone();
        assertThat(quick.get(10, TimeUnit.SECONDS).outputJson()).contains("\"latency_ms\":200");
        assertThat(slow.cancel(true)).isTrue();
        assertThat(slow).isCancelled();
    }
}
