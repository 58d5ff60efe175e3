package dev.toolformer.executor.tools;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.executor.AsyncTool;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;

/**
 * Makes one HTTP request and follows its redirects. Arguments: {@code method} (GET, POST, PUT, PATCH,
 * DELETE or HEAD; GET when absent), {@code url} (required, http or https), {@code headers} (object of
 * strings), {@code body} (string), {@code timeout_ms} (for the whole call, redirects included; capped by
 * the call's deadline), {@code follow_redirects} (true when absent).
 *
 * <p>Output: {@code {"status": 200, "headers": {"content-type": ...}, "body": "...", "truncated": false}};
 * the body is cut after {@link #MAX_BODY_BYTES}. A 5xx, a 429 or a connection failure is a
 * {@link RetriableToolException}; any other status, including 4xx, is an output: the status is the
 * answer, and a retry would get the same one. A 301, 302, 303, 307 or 308 with a {@code Location} is
 * followed, up to {@link #MAX_REDIRECTS} times, unless {@code follow_redirects} is false.
 *
 * <p>SSRF guard: the URL's host and every redirect's are resolved once, and the request is refused
 * unless every address is public or allow-listed ({@link AddressPolicy}: {@code TOOLFORMER_HTTP_ALLOW_HOSTS}
 * or the system property {@code toolformer.http.allow-hosts}); the client then connects to exactly the
 * addresses checked ({@link PinnedDns}), so a DNS answer that changes in between (rebinding) is not
 * asked for. A refused URL is an {@link InvalidArgumentsException}, a refused redirect a
 * {@link RedirectRefusedException}. Request headers never appear in outputs or errors, and only
 * {@link HttpHop#CROSS_ORIGIN_HEADERS} follow a redirect to another origin.
 */
public final class HttpTool implements AsyncTool {
    /** Largest response body returned, in bytes (1 MiB); the rest is dropped and {@code truncated} is true. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    /** Redirects followed in one call; another one is refused. */
    public static final int MAX_REDIRECTS = 5;
    public static final String ALLOW_HOSTS_ENV = "TOOLFORMER_HTTP_ALLOW_HOSTS";
    public static final String ALLOW_HOSTS_PROPERTY = "toolformer.http.allow-hosts";

    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
    private static final Set<String> ARGUMENTS = Set.of("method", "url", "headers", "body", "timeout_ms", "follow_redirects");
    private static final Set<Integer> FOLLOWED = Set.of(301, 302, 303, 307, 308);
    /** Response headers copied to the output. */
    private static final String[] OUTPUT_HEADERS = {"content-type", "location"};
    /**
     * This tool's own client: direct connections only (a proxy would resolve the name itself, past the
     * address check) and no redirects followed by the client (the tool follows them, checking each one).
     */
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    private final Resolver resolver;

    public HttpTool() {
        this(InetAddress::getAllByName);
    }

    /** With the lookup used for the address check (tests make names resolve where they like). */
    HttpTool(Resolver resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver == null");
    }

    /** Resolves a host name to all its addresses. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    @Override
    public String name() {
        return "http";
    }

    /**
     * Starts the call: the arguments are checked and the URL's host resolved and checked on the calling thread; the
     * exchange, its redirects (each host resolved and checked on a virtual thread of the client's) and the wait for
     * the answer hold no thread; the capped body is read on a virtual thread. Cancelling the returned future (the
     * deadline, a cancel) cancels the exchange in progress, or closes the body being read.
     */
    @Override
    public CompletionStage<ToolOutput> executeAsync(ToolCall call) {
        CompletableFuture<ToolOutput> result = new CompletableFuture<>();
        Call exchange = new Call(Context.current(), CancellableExchange.cancelledWith(result));
        try {
            ObjectNode args = call.arguments();
            checkArgumentNames(args);
            String method = method(args);
            HttpHop hop = new HttpHop(method, url(args), headers(args), body(args, method));
            Instant deadline = HttpSupport.deadline(call, timeoutMs(args));
            boolean follow = followRedirects(args);
            hop.build(Duration.ofMillis(1)); // refuses restricted headers before the host is resolved
            AddressPolicy policy = allowList();
            hop(exchange, hop, null, policy, deadline, follow ? MAX_REDIRECTS : -1)
                    .thenApplyAsync(last -> exchange.read(last), HttpSupport.BODY_READERS)
                    .whenComplete((out, error) -> {
                        if (error == null) {
                            result.complete(out);
                        } else {
                            result.completeExceptionally(AsyncTool.cause(error));
                        }
                    });
        } catch (Exception e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** A hop's response, and the hop it answers. */
    private record Answer(HttpHop hop, HttpResponse<InputStream> response) {
    }

    /**
     * Sends {@code hop} and follows its redirects while {@code redirectsLeft} allows (-1: redirects are not followed).
     *
     * @param from the hop that redirected here, null for the URL itself
     */
    private CompletableFuture<Answer> hop(Call exchange, HttpHop hop, HttpHop from, AddressPolicy policy,
                                          Instant deadline, int redirectsLeft) {
        CompletableFuture<HttpResponse<InputStream>> sent;
        try {
            sent = send(exchange, hop, from, policy, deadline);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
        return sent.thenCompose(response -> {
            Optional<String> location = response.headers().firstValue("location");
            if (redirectsLeft < 0 || !FOLLOWED.contains(response.statusCode()) || location.isEmpty()) {
                return CompletableFuture.completedFuture(new Answer(hop, response));
            }
            CancellableExchange.close(response.body()); // the redirect's body is not wanted
            if (redirectsLeft == 0) {
                return CompletableFuture.failedFuture(new RedirectRefusedException(hop.describe() + " was redirected ("
                        + response.statusCode() + ") once more after " + MAX_REDIRECTS
                        + " redirects; no more are followed"));
            }
            HttpHop next;
            try {
                next = hop.redirect(response.statusCode(), location.get());
            } catch (RedirectRefusedException e) {
                return CompletableFuture.failedFuture(e);
            }
            return hop(exchange, next, hop, policy, deadline, redirectsLeft - 1);
        });
    }

    /**
     * Sends one hop once its host's addresses pass the policy, pinned to the addresses checked until its answer
     * (or failure) arrives.
     *
     * @param from the hop that redirected here, null for the URL itself
     */
    private CompletableFuture<HttpResponse<InputStream>> send(Call exchange, HttpHop hop, HttpHop from,
                                                              AddressPolicy policy, Instant deadline) throws Exception {
        HttpRequest request = hop.build(HttpSupport.timeLeft(deadline));
        String host = hop.host();
        int port = hop.port();
        if (policy.allowsName(host, port)) {
            return exchange.send(hop, request, null); // trusted by name, whatever it resolves to
        }
        List<InetAddress> checked = resolve(host, hop, from, resolver);
        refuseIfAny(policy.firstRefused(checked, port), hop, from);
        if (!PinnedDns.active()) {
            throw new IllegalStateException("the JVM does not resolve names through " + PinnedDns.class.getName()
                    + " (another java.net.spi.InetAddressResolverProvider on the class path?), so the address "
                    + "checked cannot be pinned: not connecting to " + host);
        }
        PinnedDns.Pin pin = PinnedDns.pin(host, checked);
        try {
            // The client is given the JVM's cached answer while it lasts, then the pin: both must pass.
            refuseIfAny(policy.firstRefused(pin.addresses(), port), hop, from);
            refuseIfAny(policy.firstRefused(resolve(host, hop, from, InetAddress::getAllByName), port), hop, from);
        } catch (Exception e) {
            pin.close();
            throw e;
        }
        return exchange.send(hop, request, pin);
    }

    /** One call's exchanges, each in a client span under the execution's; a cancel stops the one in progress. */
    private static final class Call {
        private final Context parent;
        private final CancellableExchange exchange;

        Call(Context parent, CancellableExchange exchange) {
            this.parent = parent;
            this.exchange = exchange;
        }

        /**
         * One request, in a client span (HTTP semantic conventions: method, server, sanitized URL, status) under the
         * execution's; a failure is recorded on it. {@code pin} (or null) is closed once the answer or failure is in.
         */
        CompletableFuture<HttpResponse<InputStream>> send(HttpHop hop, HttpRequest request, PinnedDns.Pin pin) {
            Span span = Tracing.tracer().spanBuilder(hop.method())
                    .setParent(parent)
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, hop.method())
                    .setAttribute(ServerAttributes.SERVER_ADDRESS, hop.host())
                    .setAttribute(ServerAttributes.SERVER_PORT, (long) hop.port())
                    .setAttribute(UrlAttributes.URL_FULL, hop.location())
                    .startSpan();
            CompletableFuture<HttpResponse<InputStream>> sent;
            try (Scope scope = span.makeCurrent()) {
                sent = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
            }
            exchange.sending(sent);
            return sent.handle((response, error) -> {
                if (pin != null) {
                    pin.close();
                }
                try {
                    if (error == null) {
                        span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) response.statusCode());
                        if (response.statusCode() >= 400) {
                            span.setStatus(StatusCode.ERROR, String.valueOf(response.statusCode()));
                        }
                        return response;
                    }
                    Throwable cause = AsyncTool.cause(error);
                    span.setStatus(StatusCode.ERROR, cause.getClass().getSimpleName());
                    if (cause instanceof IOException e) {
                        RetriableToolException failed = new RetriableToolException(hop.describe() + " failed: "
                                + e.getClass().getSimpleName()
                                + (e.getMessage() == null ? "" : ": " + Redactor.redact(e.getMessage())), null);
                        span.recordException(failed);
                        throw new CompletionException(failed);
                    }
                    throw new CompletionException(cause);
                } finally {
                    span.end();
                }
            });
        }

        /** The answer's output, its body read (on this thread) up to the cap; a cancel closes the body. */
        ToolOutput read(Answer answer) {
            exchange.reading(answer.response().body());
            try {
                return output(answer.hop(), answer.response());
            } catch (RetriableToolException e) {
                throw new CompletionException(e);
            }
        }
    }

    private static List<InetAddress> resolve(String host, HttpHop hop, HttpHop from, Resolver resolver)
            throws RetriableToolException {
        try {
            return List.of(resolver.resolve(host));
        } catch (UnknownHostException e) {
            // DNS failures are often transient; a name that never resolves fails every attempt alike.
            throw new RetriableToolException((from == null ? "url host " : from.describe() + " was redirected to "
                    + hop.location() + ", whose host ") + host + " could not be resolved", null);
        }
    }

    private static void refuseIfAny(InetAddress refused, HttpHop hop, HttpHop from)
            throws InvalidArgumentsException, RedirectRefusedException {
        if (refused == null) {
            return;
        }
        String problem = "resolves to a private or loopback address (" + refused.getHostAddress() + "); allow it with "
                + ALLOW_HOSTS_ENV;
        if (from == null) {
            throw new InvalidArgumentsException("url host " + hop.host() + " " + problem);
        }
        throw new RedirectRefusedException(from.describe() + " was redirected to " + hop.location() + ", whose host "
                + hop.host() + " " + problem);
    }

    private static ToolOutput output(HttpHop hop, HttpResponse<InputStream> response) throws RetriableToolException {
        String target = hop.describe();
        int status = response.statusCode();
        String contentType = response.headers().firstValue("content-type").orElse(null);
        HttpSupport.Bounded read;
        try {
            read = HttpSupport.read(response.body(), MAX_BODY_BYTES);
        } catch (IOException e) {
            throw new RetriableToolException(target + " failed while reading the response body: "
                    + e.getClass().getSimpleName(), null);
        }
        String text = read.text(HttpSupport.charset(contentType));
        if (status >= 500 || status == 429) {
            String snippet = HttpSupport.snippet(text);
            throw new RetriableToolException(target + " returned " + status + (snippet.isEmpty() ? "" : ": " + snippet));
        }

        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("status", status);
        ObjectNode outHeaders = out.putObject("headers");
        for (String name : OUTPUT_HEADERS) {
            response.headers().firstValue(name).ifPresent(value -> outHeaders.put(name, value));
        }
        out.put("body", text);
        out.put("truncated", read.truncated());
        return ToolOutput.of(out.toString());
    }

    /** The allow-list; an entry that cannot be read fails the call (the same for every call until fixed). */
    private static AddressPolicy allowList() {
        try {
            return AddressPolicy.fromEnvironment();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static void checkArgumentNames(ObjectNode args) throws InvalidArgumentsException {
        for (Iterator<String> names = args.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ARGUMENTS.contains(name)) {
                throw new InvalidArgumentsException("unknown argument '" + name
                        + "'; the http tool takes method, url, headers, body, timeout_ms and follow_redirects");
            }
        }
    }

    private static String method(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("method");
        if (node == null || node.isNull()) {
            return "GET";
        }
        String method = node.isTextual() ? node.asText().trim().toUpperCase(Locale.ROOT) : "";
        if (!METHODS.contains(method)) {
            throw new InvalidArgumentsException("method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, was "
                    + abbreviate(node.toString()));
        }
        return method;
    }

    private static URI url(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("url");
        if (node == null || node.isNull()) {
            throw new InvalidArgumentsException("missing required argument 'url'");
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new InvalidArgumentsException("url must be a non-empty string");
        }
        URI uri;
        try {
            uri = new URI(node.asText().trim());
        } catch (URISyntaxException e) {
            // The URL itself is not quoted: its query string may hold a credential.
            throw new InvalidArgumentsException("url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidArgumentsException("url must be an http or https URL, scheme was '"
                    + abbreviate(scheme.isEmpty() ? "(none)" : scheme) + "'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidArgumentsException("url has no host (or a host that is not a valid name)");
        }
        if (uri.getRawUserInfo() != null) {
            throw new InvalidArgumentsException("url must not carry credentials (user:password@); send an Authorization header");
        }
        return uri;
    }

    private static Map<String, String> headers(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("headers");
        Map<String, String> headers = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return headers;
        }
        if (!node.isObject()) {
            throw new InvalidArgumentsException("headers must be an object of strings, was a " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                // The value is not quoted: the header may hold a secret.
                throw new InvalidArgumentsException("headers." + field.getKey() + " must be a string, was a "
                        + field.getValue().getNodeType());
            }
            headers.put(field.getKey(), field.getValue().asText());
        }
        return headers;
    }

    private static String body(ObjectNode args, String method) throws InvalidArgumentsException {
        JsonNode node = args.get("body");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidArgumentsException("body must be a string (serialize JSON bodies), was a " + node.getNodeType());
        }
        if (method.equals("HEAD")) {
            throw new InvalidArgumentsException("body is not allowed with method HEAD");
        }
        return node.asText();
    }

    private static long timeoutMs(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("timeout_ms");
        if (node == null || node.isNull()) {
            return 0;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() <= 0) {
            throw new InvalidArgumentsException("timeout_ms must be a positive integer, was " + abbreviate(node.toString()));
        }
        return node.asLong();
    }

    private static boolean followRedirects(ObjectNode args) throws InvalidArgumentsException {
        JsonNode node = args.get("follow_redirects");
        if (node == null || node.isNull()) {
            return true;
        }
        if (!node.isBoolean()) {
            throw new InvalidArgumentsException("follow_redirects must be true or false, was " + abbreviate(node.toString()));
        }
        return node.asBoolean();
    }

    private static String abbreviate(String s) {
        return HttpHop.abbreviate(s);
    }
}
