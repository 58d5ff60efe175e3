package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiChatToolTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-test-0123456789abcdefghijKLMN";
    private static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":17,"completion_tokens":3,"total_tokens":20}}""";

    private static HttpServer server;
    private static final AtomicReference<String> PATH = new AtomicReference<>();
    private static final AtomicReference<String> AUTHORIZATION = new AtomicReference<>();
    private static final AtomicReference<JsonNode> REQUEST = new AtomicReference<>();
    private static final AtomicReference<Integer> STATUS = new AtomicReference<>();
    private static final AtomicReference<String> RESPONSE = new AtomicReference<>();
    /** When set, the next answer waits for it. */
    private static final AtomicReference<CountDownLatch> HOLD = new AtomicReference<>();

    private final OpenAiChatTool tool = new OpenAiChatTool();

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            PATH.set(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            AUTHORIZATION.set(exchange.getRequestHeaders().getFirst("Authorization"));
            REQUEST.set(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            CountDownLatch hold = HOLD.getAndSet(null);
            if (hold != null) {
                try {
                    hold.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] bytes = RESPONSE.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(STATUS.get(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    @BeforeEach
    void configure() {
        // A loopback base URL: the http tool's address check does not apply to the operator's endpoint.
        System.setProperty(OpenAiChatTool.BASE_URL_PROPERTY, "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/");
        System.setProperty(OpenAiChatTool.API_KEY_PROPERTY, KEY);
        System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
        answer(200, COMPLETION);
        AUTHORIZATION.set(null);
        REQUEST.set(null);
    }

    @AfterEach
    void clear() {
        System.clearProperty(OpenAiChatTool.BASE_URL_PROPERTY);
        System.clearProperty(OpenAiChatTool.API_KEY_PROPERTY);
    }

    private static void answer(int status, String body) {
        STATUS.set(status);
        RESPONSE.set(body);
    }

    private static ToolCall call(ObjectNode args) {
        return new ToolCall("req-1", "openai-chat", args, "openai", "gpt-4o-mini", false, 1, Instant.now().plusSeconds(30));
    }

    private static ObjectNode question() {
        ObjectNode args = JSON.createObjectNode();
        args.putArray("messages").addObject().put("role", "user").put("content", "Capital of France?");
        return args;
    }

    @Test
    void shouldReturnTheFirstChoiceAndTokenUsage() throws Exception {
        ToolOutput out = tool.execute(call(question()));

        assertThat(JSON.readTree(out.outputJson())).isEqualTo(JSON.readTree(
                "{\"content\":\"Paris.\",\"finish_reason\":\"stop\",\"model\":\"gpt-4o-mini-2024-07-18\"}"));
        assertThat(out.inputTokens()).isEqualTo(17);
        assertThat(out.outputTokens()).isEqualTo(3);
        assertThat(PATH.get()).isEqualTo("POST /v1/chat/completions");
        assertThat(AUTHORIZATION.get()).isEqualTo("Bearer " + KEY);
        assertThat(REQUEST.get()).isEqualTo(JSON.readTree(
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Capital of France?\"}]}"));
        assertThat(out.outputJson()).doesNotContain(KEY);
    }

    @Test
    void shouldWrapEachProviderCallInAnLlmRequestClientSpanUnderTheExecutionsSpan() throws Exception {
        List<SpanData> finished = new CopyOnWriteArrayList<>();
        TestTracing.install(1.0, TestTracing.collectingInto(finished));
        try {
            Span execution = Tracing.tracer().spanBuilder("execute_tool openai-chat").startSpan();
            try (Scope scope = execution.makeCurrent()) {
                tool.execute(call(question()));
                answer(503, "{\"error\":{\"message\":\"overloaded\"}}");
                assertThatThrownBy(() -> tool.execute(call(question()))).isInstanceOf(RetriableToolException.class);
            } finally {
                execution.end();
            }

            List<SpanData> calls = finished.stream()
                    .filter(span -> span.getName().equals("llm_request")).toList();
            assertThat(calls).hasSize(2).allSatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
                assertThat(span.getParentSpanId()).isEqualTo(execution.getSpanContext().getSpanId());
                assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model")))
                        .isEqualTo("gpt-4o-mini");
            });
            SpanData ok = calls.get(0);
            assertThat(ok.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(17);
            assertThat(ok.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(3);
            assertThat(ok.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200);
            assertThat(ok.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            SpanData failed = calls.get(1);
            assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(failed.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(503);
            assertThat(failed.getEvents()).anySatisfy(event -> assertThat(event.getName()).isEqualTo("exception"));
            assertThat(failed.toString()).doesNotContain(KEY);
        } finally {
            TestTracing.reset();
        }
    }

    @Test
    void shouldWaitForTheAnswerWithoutHoldingTheCallersThread() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        HOLD.set(answer);

        CompletableFuture<ToolOutput> call = tool.executeAsync(call(question())).toCompletableFuture();

        // The request is with the server, which holds its answer: the call waits, the caller's thread is free.
        await().atMost(Duration.ofSeconds(10)).until(() -> REQUEST.get() != null);
        assertThat(call).isNotDone();
        answer.countDown();
        assertThat(JSON.readTree(call.get(10, TimeUnit.SECONDS).outputJson()).get("content").asText())
                .isEqualTo("Paris.");
    }

    @Test
    void shouldForwardModelTemperatureAndMaxTokens() throws Exception {
        ObjectNode args = question().put("model", "llama-3.1-8b").put("temperature", 0.2).put("max_tokens", 64);
        answer(200, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"length\"}]}");

        ToolOutput out = tool.execute(call(args));

        assertThat(REQUEST.get().get("model").asText()).isEqualTo("llama-3.1-8b");
        assertThat(REQUEST.get().get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(REQUEST.get().get("max_tokens").asInt()).isEqualTo(64);
        // no model or usage in the response: the requested model, zero tokens
        assertThat(JSON.readTree(out.outputJson())).isEqualTo(JSON.readTree(
                "{\"content\":\"ok\",\"finish_reason\":\"length\",\"model\":\"llama-3.1-8b\"}"));
        assertThat(out.inputTokens()).isZero();
        assertThat(out.outputTokens()).isZero();
    }

    @Test
    void shouldFailRetriablyOnRateLimitsAndServerErrors() {
        answer(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(RetriableToolException.class)
                .hasMessageContaining("returned 429")
                .hasMessageContaining("Rate limit reached");

        answer(503, "overloaded");
        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(RetriableToolException.class).hasMessageEndingWith("returned 503: overloaded");
    }

    @Test
    void shouldExplainARefusedKeyWithoutShowingIt() {
        answer(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + ".\",\"code\":\"invalid_api_key\"}}");

        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(OpenAiChatTool.ChatCompletionException.class)
                .hasMessageContaining("the API key was refused (401)")
                .hasMessageContaining(Redactor.MASK)
                .hasMessageNotContaining(KEY)
                .hasMessageNotContaining(KEY.substring(0, 12))
                .satisfies(e -> assertThat(((OpenAiChatTool.ChatCompletionException) e).status()).isEqualTo(401));

        answer(403, "{}");
        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(OpenAiChatTool.ChatCompletionException.class)
                .hasMessageContaining("the API key was refused (403)");
    }

    @Test
    void shouldRedactAKeyOfAnyShapeInErrorBodies() {
        String localKey = "local-9f8e7d6c5b4a";
        System.setProperty(OpenAiChatTool.API_KEY_PROPERTY, localKey);
        answer(400, "{\"error\":{\"message\":\"bad request from key " + localKey + " (sent " + KEY + ")\"}}");

        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(OpenAiChatTool.ChatCompletionException.class)
                .hasMessageContaining("returned 400")
                .hasMessageContaining("bad request from key [REDACTED]")
                .hasMessageNotContaining(localKey)
                .hasMessageNotContaining(KEY);
        assertThat(AUTHORIZATION.get()).isEqualTo("Bearer " + localKey);
    }

    @Test
    void shouldRejectAnApiKeyArgumentWithoutEchoingIt() {
        ObjectNode args = question().put("api_key", "sk-from-arguments-0123456789abcdef");

        assertThatThrownBy(() -> tool.execute(call(args)))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessage("api_key is not accepted as an argument: the API key comes from OPENAI_API_KEY "
                        + "(or toolformer.openai.api-key) only");
        assertThat(REQUEST.get()).isNull();
    }

    @Test
    void shouldRejectInvalidArgumentsNamingTheArgument() throws Exception {
        assertInvalid("{}", "missing required argument 'messages'");
        assertInvalid("{\"messages\":[]}", "messages must be a non-empty array of {role, content}");
        assertInvalid("{\"messages\":[\"hi\"]}", "messages[0] must be an object {role, content}");
        assertInvalid("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"content\":\"b\"}]}",
                "messages[1].role must be a non-empty string");
        assertInvalid("{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content must be a string");
        assertInvalid("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"temperature\":3}",
                "temperature must be a number between 0 and 2, was 3");
        assertInvalid("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"max_tokens\":0}",
                "max_tokens must be a positive integer, was 0");
        assertInvalid("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"model\":\"\"}", "model must be a non-empty string");
        assertInvalid("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"top_k\":3}",
                "unknown argument 'top_k'; the openai-chat tool takes messages, model, temperature and max_tokens");
        assertThat(REQUEST.get()).isNull();
    }

    private void assertInvalid(String arguments, String message) throws IOException {
        ObjectNode args = (ObjectNode) JSON.readTree(arguments);
        assertThatThrownBy(() -> tool.execute(call(args))).as(arguments)
                .isInstanceOf(InvalidArgumentsException.class).hasMessage(message);
    }

    @Test
    void shouldRejectAResponseThatIsNotACompletion() {
        answer(200, "<html>proxy login</html>");

        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(OpenAiChatTool.ChatCompletionException.class)
                .hasMessageContaining("returned something that is not a chat completion: <html>proxy login</html>");
    }

    @Test
    void shouldSendNoAuthorizationWhenNoKeyIsConfigured() throws Exception {
        assumeTrue(System.getenv(OpenAiChatTool.API_KEY_ENV) == null, "OPENAI_API_KEY set in the environment");
        System.clearProperty(OpenAiChatTool.API_KEY_PROPERTY);

        tool.execute(call(question()));
        assertThat(AUTHORIZATION.get()).isNull();

        answer(401, "{}");
        assertThatThrownBy(() -> tool.execute(call(question())))
                .isInstanceOf(OpenAiChatTool.ChatCompletionException.class)
                .hasMessageContaining("no API key is configured (set OPENAI_API_KEY or toolformer.openai.api-key) (401)");
    }
}
