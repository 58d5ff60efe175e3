package dev.toolformer.executor.tools;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.executor.AsyncTool;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.SpanAttributes;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;

/**
 * Calls an OpenAI-compatible chat-completions endpoint ({@code POST {base}/chat/completions}).
 * Arguments: {@code messages} (required, array of {@code {role, content}}), {@code model} (the call's
 * model when absent), {@code temperature}, {@code max_tokens}. Output:
 * {@code {"content": ..., "finish_reason": ..., "model": ...}} from the first choice; the response's
 * {@code usage} becomes the call's token counts.
 *
 * <p>The base URL comes from the system property {@code toolformer.openai.base-url}, else the
 * environment variable {@code TOOLFORMER_OPENAI_BASE_URL}, else {@code https://api.openai.com/v1}. The
 * API key comes from {@code toolformer.openai.api-key}, else {@code OPENAI_API_KEY}, and never from the
 * arguments; it never appears in outputs or errors (error bodies pass through {@link Redactor}).
 * No key configured: the request is sent without {@code Authorization} (local servers need none).
 *
 * <p>Failures: 429, 5xx and connection errors are {@link RetriableToolException}s; 401/403 and other
 * statuses are {@link ChatCompletionException}s (permanent).
 */
public final class OpenAiChatTool implements AsyncTool {
    public static final String BASE_URL_ENV = "TOOLFORMER_OPENAI_BASE_URL";
    public static final String BASE_URL_PROPERTY = "toolformer.openai.base-url";
    public static final String API_KEY_ENV = "OPENAI_API_KEY";
    public static final String API_KEY_PROPERTY = "toolformer.openai.api-key";
    public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    /** Largest response read (4 MiB): a chat completion is far smaller. */
    static final int MAX_RESPONSE_BYTES = 4 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ARGUMENTS = Set.of("messages", "model", "temperature", "max_tokens");

    @Override
    public String name() {
        return "openai-chat";
    }

    /**
     * Starts the call: the request is built and sent here; the wait for the answer holds no thread, and the answer
     * (capped) is read and parsed on a virtual thread. Cancelling the returned future (the deadline, a cancel)
     * cancels the exchange, or closes the body being read.
     */
    @Override
    public CompletionStage<ToolOutput> executeAsync(ToolCall call) {
        CompletableFuture<ToolOutput> result = new CompletableFuture<>();
        ObjectNode request = JSON.createObjectNode();
        String model;
        URI endpoint;
        try {
            ObjectNode args = call.arguments();
            checkArgumentNames(args);
            model = model(args, call);
            request.put("model", model);
            request.set("messages", messages(args));
            temperature(args, request);
            maxTokens(args, request);
            endpoint = endpoint();
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
        // One client span per provider call (the spec's llm_request), a child of the executor's execute_tool span:
        // GenAI and HTTP attributes, token usage, the error recorded when the call fails.
        Span span = Tracing.tracer().spanBuilder("llm_request")
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(SpanAttributes.GEN_AI_OPERATION_NAME, "chat")
                .setAttribute(SpanAttributes.GEN_AI_SYSTEM, "openai")
                .setAttribute(SpanAttributes.GEN_AI_REQUEST_MODEL, model)
                .setAttribute(ServerAttributes.SERVER_ADDRESS, endpoint.getHost())
                .setAttribute(UrlAttributes.URL_FULL, describe(endpoint))
                .startSpan();
        // Ended once, before the caller sees the outcome (or when the caller cancels).
        AtomicBoolean spanEnded = new AtomicBoolean();
        BiConsumer<ToolOutput, Throwable> endSpan = (out, error) -> {
            if (!spanEnded.compareAndSet(false, true)) {
                return;
            }
            if (error == null) {
                span.setAttribute(SpanAttributes.GEN_AI_USAGE_INPUT_TOKENS, out.inputTokens());
                span.setAttribute(SpanAttributes.GEN_AI_USAGE_OUTPUT_TOKENS, out.outputTokens());
            } else {
                span.recordException(error);
                span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
            }
            span.end();
        };
        try (Scope scope = span.makeCurrent()) {
            String key = setting(API_KEY_PROPERTY, API_KEY_ENV);
            Redactor.addKnownSecret(key); // masked wherever it shows up, e.g. echoed in an upstream's error
            CancellableExchange exchange = CancellableExchange.cancelledWith(result);
            result.whenComplete((out, error) -> {
                if (result.isCancelled()) {
                    endSpan.accept(null, error);
                }
            });
            CompletableFuture<HttpResponse<InputStream>> sent = HttpSupport.CLIENT.sendAsync(
                    httpRequest(endpoint, request, call, key), HttpResponse.BodyHandlers.ofInputStream());
            exchange.sending(sent);
            sent.whenCompleteAsync((response, error) -> {
                ToolOutput out = null;
                Exception failure = null;
                try {
                    if (error == null) {
                        exchange.reading(response.body());
                    }
                    out = answer(endpoint, model, key, response, error, span);
                } catch (Exception e) {
                    failure = e;
                }
                endSpan.accept(out, failure);
                if (failure == null) {
                    result.complete(out);
                } else {
                    result.completeExceptionally(failure);
                }
            }, HttpSupport.BODY_READERS);
        } catch (Exception e) {
            endSpan.accept(null, e);
            result.completeExceptionally(e);
        }
        return result;
    }

    private static HttpRequest httpRequest(URI endpoint, ObjectNode request, ToolCall call, String key)
            throws Exception {
        HttpRequest.Builder http = HttpRequest.newBuilder(endpoint)
                .version(HttpSupport.version(endpoint.getScheme()))
                .timeout(HttpSupport.timeout(call, 0))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)));
        if (key != null) {
            http.header("Authorization", "Bearer " + key);
        }
        return http.build();
    }

    /** The call's output from the exchange's answer (or its failure): the body read up to its cap and parsed. */
    private static ToolOutput answer(URI endpoint, String model, String key, HttpResponse<InputStream> response,
                                     Throwable error, Span span) throws Exception {
        String body;
        try {
            if (error != null) {
                Throwable cause = AsyncTool.cause(error);
                if (cause instanceof Exception e) {
                    throw e; // an IOException is the retriable failure below
                }
                throw (Error) cause;
            }
            HttpSupport.Bounded read = HttpSupport.read(response.body(), MAX_RESPONSE_BYTES);
            body = read.text(HttpSupport.charset(response.headers().firstValue("content-type").orElse(null)));
        } catch (IOException e) {
            throw new RetriableToolException("openai-chat: request to " + describe(endpoint) + " failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + clean(e.getMessage(), key)), null);
        }
        int status = response.statusCode();
        span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        if (status == 429 || status >= 500) {
            throw new RetriableToolException("openai-chat: " + describe(endpoint) + " returned " + status + errorDetail(body, key));
        }
        if (status == 401 || status == 403) {
            String why = key == null
                    ? "no API key is configured (set " + API_KEY_ENV + " or " + API_KEY_PROPERTY + ")"
                    : "the API key was refused";
            throw new ChatCompletionException(status, "openai-chat: " + why + " (" + status + ") by " + describe(endpoint)
                    + errorDetail(body, key));
        }
        if (status < 200 || status >= 300) {
            throw new ChatCompletionException(status, "openai-chat: " + describe(endpoint) + " returned " + status
                    + errorDetail(body, key));
        }
        return output(body, model, key, endpoint);
    }

    private static ToolOutput output(String body, String requestedModel, String key, URI endpoint) throws ChatCompletionException {
        JsonNode completion;
        try {
            completion = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            completion = null;
        }
        JsonNode message = completion == null ? null : completion.path("choices").path(0).path("message");
        if (completion == null || !completion.isObject() || message == null || !message.isObject()) {
            throw new ChatCompletionException(200, "openai-chat: " + describe(endpoint)
                    + " returned something that is not a chat completion" + errorDetail(body, key));
        }
        ObjectNode out = JSON.createObjectNode();
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            out.putNull("content");
        } else {
            out.put("content", content.isTextual() ? content.asText() : content.toString());
        }
        JsonNode finish = completion.path("choices").path(0).get("finish_reason");
        if (finish == null || finish.isNull()) {
            out.putNull("finish_reason");
        } else {
            out.put("finish_reason", finish.asText());
        }
        out.put("model", completion.path("model").isTextual() ? completion.path("model").asText() : requestedModel);
        JsonNode usage = completion.path("usage");
        return new ToolOutput(out.toString(), tokens(usage, "prompt_tokens"), tokens(usage, "completion_tokens"));
    }

    private static long tokens(JsonNode usage, String field) {
        JsonNode n = usage.path(field);
        return n.canConvertToLong() && n.asLong() > 0 ? n.asLong() : 0;
    }

    private static void checkArgumentNames(ObjectNode args) throws InvalidArgumentsException {
        for (Iterator<String> names = args.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (ARGUMENTS.contains(name)) {
                continue; // max_tokens has "token" in its name but is no secret
            }
            if (name.equalsIgnoreCase("api_key") || Redactor.isSecretName(name)) {
                throw new InvalidArgumentsException(name + " is not accepted as an argument: the API key comes from "
                        + API_KEY_ENV + " (or " + API_KEY_PROPERTY + ") only");
            }
            throw new InvalidArgumentsException("unknown argument '" + name
                    + "'; the openai-chat tool takes messages, model, temperature and max_tokens");
        }
    }

    private static String model(ObjectNode args, ToolCall call) throws InvalidArgumentsException {
        JsonNode node = args.get("model");
        if (node == null || node.isNull()) {
            if (call.model().isBlank()) {
                throw new InvalidArgumentsException("model is required: the request names no model");
            }
            return call.model();
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new InvalidArgumentsException("model must be a non-empty string");
        }
        return node.asText();
    }

    private static ArrayNode messages(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("messages");
        if (node == null || node.isNull()) {
            throw new InvalidArgumentsException("missing required argument 'messages'");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new InvalidArgumentsException("messages must be a non-empty array of {role, content}");
        }
        ArrayNode messages = JSON.createArrayNode();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                throw new InvalidArgumentsException("messages[" + i + "] must be an object {role, content}");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isBlank()) {
                throw new InvalidArgumentsException("messages[" + i + "].role must be a non-empty string");
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw new InvalidArgumentsException("messages[" + i + "].content must be a string");
            }
            messages.addObject().put("role", role.asText()).put("content", content.asText());
        }
        return messages;
    }

    private static void temperature(ObjectNode args, ObjectNode request) throws InvalidArgumentsException {
        JsonNode node = args.get("temperature");
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isNumber() || node.asDouble() < 0 || node.asDouble() > 2) {
            throw new InvalidArgumentsException("temperature must be a number between 0 and 2, was " + node);
        }
        request.set("temperature", node);
    }

    private static void maxTokens(ObjectNode args, ObjectNode request) throws InvalidArgumentsException {
        JsonNode node = args.get("max_tokens");
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() <= 0) {
            throw new InvalidArgumentsException("max_tokens must be a positive integer, was " + node);
        }
        request.put("max_tokens", node.asInt());
    }

    /** {@code {base}/chat/completions}; the operator's base URL is not subject to the http tool's address check. */
    private static URI endpoint() {
        String base = setting(BASE_URL_PROPERTY, BASE_URL_ENV);
        if (base == null) {
            base = DEFAULT_BASE_URL;
        }
        base = base.trim();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        try {
            URI uri = new URI(base + "/chat/completions");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new IllegalStateException("openai-chat: the configured base URL (" + BASE_URL_ENV + " / "
                        + BASE_URL_PROPERTY + ") is not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalStateException("openai-chat: the configured base URL (" + BASE_URL_ENV + " / "
                    + BASE_URL_PROPERTY + ") is not a valid URL: " + e.getReason());
        }
    }

    /** The system property, else the environment variable; null when neither is set or both are blank. */
    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String describe(URI endpoint) {
        String port = endpoint.getPort() == -1 ? "" : ":" + endpoint.getPort();
        return endpoint.getScheme() + "://" + endpoint.getHost() + port + endpoint.getRawPath();
    }

    private static String errorDetail(String body, String key) {
        String snippet = HttpSupport.snippet(body == null || key == null ? body : body.replace(key, Redactor.MASK));
        return snippet.isEmpty() ? "" : ": " + snippet;
    }

    /** {@code text} with the key (whatever its shape) and anything else secret-looking masked. */
    private static String clean(String text, String key) {
        return Redactor.redact(key == null ? text : text.replace(key, Redactor.MASK));
    }

    /**
     * A permanent failure of the endpoint: the key was refused (401/403), the request was rejected
     * (other 4xx), or the response was not a chat completion. The message never holds the API key.
     */
    public static final class ChatCompletionException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        public ChatCompletionException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status the endpoint answered with. */
        public int status() {
            return status;
        }
    }
}
