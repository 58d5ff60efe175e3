package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.toolformer.common.tracing.Tracing;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import dev.toolformer.executor.ToolRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpToolTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "s3cr3t-header-value-0123456789";
    private static final Map<String, String> SEEN = new ConcurrentHashMap<>();

    private static HttpServer server;
    private static HttpServer other;
    private static String base;
    private static String otherBase;
    private static final AtomicInteger LOOPS = new AtomicInteger();

    private final HttpTool tool = new HttpTool();

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/echo", exchange -> echo("", exchange));
        server.createContext("/status/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
            respond(exchange, status, "application/json", "{\"error\":\"status " + status + "\"}");
        });
        server.createContext("/redirect", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://10.0.0.1/internal");
            respond(exchange, 302, "text/plain", "moved");
        });
        // /to?status=307&location=... answers that redirect
        server.createContext("/to", exchange -> {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            exchange.getResponseHeaders().add("Location", query.get("location"));
            respond(exchange, Integer.parseInt(query.getOrDefault("status", "302")), "text/plain", "moved");
        });
        // a redirect that takes a while: what follows it runs on another thread than the call's
        server.createContext("/late-redirect", exchange -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getResponseHeaders().add("Location", "/echo?q=5");
            respond(exchange, 302, "text/plain", "moved");
        });
        server.createContext("/loop", exchange -> {
            LOOPS.incrementAndGet();
            exchange.getResponseHeaders().add("Location", "/loop");
            respond(exchange, 302, "text/plain", "again");
        });
        server.createContext("/big", exchange -> respond(exchange, 200, "text/plain", "x".repeat(HttpTool.MAX_BODY_BYTES + 10)));
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "text/plain", "late");
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();

        other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/echo", exchange -> echo("other.", exchange));
        other.start();
        otherBase = "http://127.0.0.1:" + other.getAddress().getPort();
    }

    /** Answers "METHOD query body" and notes the request's secret-bearing headers under {@code prefix}. */
    private static void echo(String prefix, HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        for (String header : new String[] {"X-Api-Key", "Authorization", "Accept", "Content-Type"}) {
            SEEN.put(prefix + header.toLowerCase(Locale.ROOT),
                    String.valueOf(exchange.getRequestHeaders().getFirst(header)));
        }
        exchange.getResponseHeaders().add("Set-Cookie", "session=" + SECRET);
        respond(exchange, 200, "text/plain; charset=utf-8",
                exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawQuery() + " " + body);
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new ConcurrentHashMap<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    /** {@code base/to?status=..&location=..}: a URL that redirects there. */
    private static String redirectTo(int status, String location) {
        return base + "/to?status=" + status + "&location=" + URLEncoder.encode(location, StandardCharsets.UTF_8);
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
        other.stop(0);
    }

    @BeforeEach
    void allowTheLocalServer() {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1:" + server.getAddress().getPort());
        SEEN.clear();
        LOOPS.set(0);
    }

    @AfterEach
    void clearAllowList() {
        System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", contentType);
        boolean noBody = status == 204 || exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, noBody || bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!noBody) {
                out.write(bytes);
            }
        }
    }

    private static ToolCall call(ObjectNode args) {
        return new ToolCall("req-1", "http", args, "web", "none", false, 1, Instant.now().plusSeconds(30));
    }

    private static ObjectNode args(String json) throws IOException {
        return (ObjectNode) JSON.readTree(json);
    }

    private static ObjectNode get(String url) {
        return JSON.createObjectNode().put("url", url);
    }

    @Test
    void shouldReturnStatusHeadersAndBodyOfAGet() throws Exception {
        ToolOutput out = tool.execute(call(get(base + "/echo?q=1")));

        JsonNode json = JSON.readTree(out.outputJson());
        assertThat(json.get("status").asInt()).isEqualTo(200);
        assertThat(json.get("body").asText()).isEqualTo("GET q=1 ");
        assertThat(json.get("headers")).isEqualTo(JSON.readTree("{\"content-type\":\"text/plain; charset=utf-8\"}"));
        assertThat(json.get("truncated").asBoolean()).isFalse();
        assertThat(out.inputTokens()).isZero();
        assertThat(out.outputJson()).doesNotContain(SECRET); // Set-Cookie is not among the returned headers
    }

    @Test
    void shouldSendBodyAndHeadersOfAPostButNeverEchoSecretHeaders() throws Exception {
        ObjectNode args = JSON.createObjectNode().put("method", "post").put("url", base + "/echo").put("body", "{\"a\":1}");
        args.putObject("headers").put("Content-Type", "application/json").put("X-Api-Key", SECRET)
                .put("Authorization", "Bearer " + SECRET);

        ToolOutput out = tool.execute(call(args));

        JsonNode json = JSON.readTree(out.outputJson());
        assertThat(json.get("status").asInt()).isEqualTo(200);
        assertThat(json.get("body").asText()).isEqualTo("POST null {\"a\":1}");
        assertThat(SEEN).containsEntry("x-api-key", SECRET).containsEntry("authorization", "Bearer " + SECRET);
        assertThat(out.outputJson()).doesNotContain(SECRET).doesNotContain("X-Api-Key").doesNotContain("Authorization");
    }

    @Test
    void shouldReturnClientErrorsAsOutput() throws Exception {
        JsonNode notFound = JSON.readTree(tool.execute(call(get(base + "/status/404"))).outputJson());
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("body").asText()).isEqualTo("{\"error\":\"status 404\"}");

        JsonNode head = JSON.readTree(tool.execute(call(get(base + "/status/204").put("method", "HEAD"))).outputJson());
        assertThat(head.get("status").asInt()).isEqualTo(204);
        assertThat(head.get("body").asText()).isEmpty();
    }

    @Test
    void shouldReturnRedirectAsOutputWhenNotFollowingIt() throws Exception {
        JsonNode redirect = JSON.readTree(tool.execute(call(get(base + "/redirect").put("follow_redirects", false))).outputJson());

        assertThat(redirect.get("status").asInt()).isEqualTo(302);
        assertThat(redirect.path("headers").path("location").asText()).isEqualTo("http://10.0.0.1/internal");
    }

    @Test
    void shouldFollowRedirectsOnTheSameOriginWithTheirHeaders() throws Exception {
        ObjectNode args = get(redirectTo(302, "/echo?q=2"));
        args.putObject("headers").put("Authorization", "Bearer " + SECRET).put("X-Api-Key", SECRET);

        JsonNode json = JSON.readTree(tool.execute(call(args)).outputJson());

        assertThat(json.get("status").asInt()).isEqualTo(200);
        assertThat(json.get("body").asText()).isEqualTo("GET q=2 ");
        assertThat(SEEN).containsEntry("authorization", "Bearer " + SECRET).containsEntry("x-api-key", SECRET);
    }

    @Test
    void shouldSendOnlyHarmlessHeadersOnARedirectToAnotherAllowListedOrigin() throws Exception {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1");
        ObjectNode args = get(redirectTo(307, otherBase + "/echo?q=3")).put("method", "POST").put("body", "{}");
        args.putObject("headers").put("Authorization", "Bearer " + SECRET).put("X-Api-Key", SECRET)
                .put("Accept", "text/plain").put("Content-Type", "application/json");

        JsonNode json = JSON.readTree(tool.execute(call(args)).outputJson());

        assertThat(json.get("body").asText()).isEqualTo("POST q=3 {}");
        assertThat(SEEN).containsEntry("other.authorization", "null").containsEntry("other.x-api-key", "null")
                .containsEntry("other.accept", "text/plain").containsEntry("other.content-type", "application/json");
    }

    @Test
    void shouldTurnAPostIntoAGetOn303ButNotOn308() throws Exception {
        ObjectNode seeOther = get(redirectTo(303, "/echo")).put("method", "POST").put("body", "{\"a\":1}");
        seeOther.putObject("headers").put("Content-Type", "application/json");
        ObjectNode permanent = get(redirectTo(308, "/echo")).put("method", "POST").put("body", "{\"a\":1}");

        assertThat(JSON.readTree(tool.execute(call(seeOther)).outputJson()).get("body").asText()).isEqualTo("GET null ");
        assertThat(SEEN).containsEntry("content-type", "null");
        assertThat(JSON.readTree(tool.execute(call(permanent)).outputJson()).get("body").asText())
                .isEqualTo("POST null {\"a\":1}");
    }

    @Test
    void shouldRefuseARedirectToAPrivateAddressNamingNoSecret() throws Exception {
        ObjectNode args = get(redirectTo(302, "http://10.0.0.1/internal?token=" + SECRET) + "&key=" + SECRET);
        args.putObject("headers").put("Authorization", "Bearer " + SECRET).put("X-Api-Key", SECRET);

        assertThatThrownBy(() -> tool.execute(call(args)))
                .isInstanceOf(RedirectRefusedException.class)
                .hasMessage("http GET http://127.0.0.1:" + server.getAddress().getPort() + "/to was redirected to "
                        + "http://10.0.0.1/internal, whose host 10.0.0.1 resolves to a private or loopback address "
                        + "(10.0.0.1); allow it with TOOLFORMER_HTTP_ALLOW_HOSTS")
                .message().doesNotContain(SECRET);
    }

    @Test
    void shouldRefuseARedirectToALoopbackPortOrNameThatIsNotAllowListed() {
        int otherPort = other.getAddress().getPort();
        for (String location : new String[] {otherBase + "/echo", "http://localhost:" + otherPort + "/echo",
                "http://[::1]:" + otherPort + "/echo"}) {
            assertThatThrownBy(() -> tool.execute(call(get(redirectTo(301, location))))).as(location)
                    .isInstanceOf(RedirectRefusedException.class)
                    .hasMessageContaining(" was redirected to http://")
                    .hasMessageContaining("resolves to a private or loopback address");
        }
        assertThat(SEEN).isEmpty();
    }

    @Test
    void shouldRefuseRedirectsPastTheLimit() {
        assertThatThrownBy(() -> tool.execute(call(get(base + "/loop"))))
                .isInstanceOf(RedirectRefusedException.class)
                .hasMessage("http GET http://127.0.0.1:" + server.getAddress().getPort()
                        + "/loop was redirected (302) once more after 5 redirects; no more are followed");
        assertThat(LOOPS.get()).isEqualTo(HttpTool.MAX_REDIRECTS + 1);
    }

    @Test
    void shouldRefuseRedirectsToOtherSchemesOrWithCredentials() {
        String from = "http GET http://127.0.0.1:" + server.getAddress().getPort() + "/to was redirected ";
        assertThatThrownBy(() -> tool.execute(call(get(redirectTo(302, "file:///etc/passwd")))))
                .isInstanceOf(RedirectRefusedException.class)
                .hasMessage(from + "(302) to a URL of scheme 'file'; only http and https are followed");
        assertThatThrownBy(() -> tool.execute(call(get(redirectTo(302, "http://user:" + SECRET + "@127.0.0.1/")))))
                .isInstanceOf(RedirectRefusedException.class)
                .hasMessage(from + "(302) to a URL with credentials (user:password@), which are not followed");
        assertThatThrownBy(() -> tool.execute(call(get(redirectTo(302, "http://exa mple/?k=" + SECRET)))))
                .isInstanceOf(RedirectRefusedException.class)
                .hasMessage(from + "(302) to a location that is not a valid URL");
    }

    @Test
    void shouldRefuseAPublicLookingNameThatResolvesToLoopback() {
        assumeTrue(System.getenv(HttpTool.ALLOW_HOSTS_ENV) == null, "allow-list set in the environment");
        System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
        List<String> lookups = new ArrayList<>();
        HttpTool resolvingToLoopback = new HttpTool(host -> {
            lookups.add(host);
            return new InetAddress[] {InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})};
        });

        assertThatThrownBy(() -> resolvingToLoopback.execute(call(get("http://api.example.com:" + server.getAddress().getPort() + "/echo"))))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessage("url host api.example.com resolves to a private or loopback address (127.0.0.1); "
                        + "allow it with TOOLFORMER_HTTP_ALLOW_HOSTS");
        assertThat(lookups).containsExactly("api.example.com");
        assertThat(SEEN).isEmpty();
    }

    @Test
    void shouldRefuseANameWhenAnyOfItsAddressesIsPrivate() {
        HttpTool mixed = new HttpTool(host -> new InetAddress[] {
                InetAddress.getByAddress(host, new byte[] {93, (byte) 184, (byte) 216, 34}),
                InetAddress.getByAddress(host, new byte[] {10, 0, 0, 1})});

        assertThatThrownBy(() -> mixed.execute(call(get("https://mixed.example.com/"))))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessage("url host mixed.example.com resolves to a private or loopback address (10.0.0.1); "
                        + "allow it with TOOLFORMER_HTTP_ALLOW_HOSTS");
    }

    @Test
    void shouldConnectToTheAddressCheckedEvenWhenTheNameWouldResolveElsewhereLater() throws Exception {
        // The name is not in any DNS: the client can only reach the server through the pinned address,
        // and a second answer (a rebinding to another address) is never asked for.
        int port = server.getAddress().getPort();
        AtomicInteger lookups = new AtomicInteger();
        HttpTool rebinding = new HttpTool(host -> new InetAddress[] {InetAddress.getByAddress(host,
                lookups.getAndIncrement() == 0 ? new byte[] {127, 0, 0, 1} : new byte[] {10, 0, 0, 1})});

        JsonNode json = JSON.readTree(rebinding.execute(call(get("http://rebind.toolformer.invalid:" + port + "/echo?q=4")))
                .outputJson());

        assertThat(json.get("body").asText()).isEqualTo("GET q=4 ");
        assertThat(lookups.get()).isEqualTo(1);
        assertThat(PinnedDns.pinned("rebind.toolformer.invalid")).isEmpty();
    }

    @Test
    void shouldCancelTheExchangeAndLetGoOfThePinWhenTheCallIsCancelledWhileItWaits() throws Exception {
        int port = server.getAddress().getPort();
        HttpTool pinned = new HttpTool(host -> new InetAddress[] {InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})});

        CompletableFuture<ToolOutput> call = pinned.executeAsync(call(get("http://slow.toolformer.invalid:" + port
                + "/slow"))).toCompletableFuture();
        // It waits for the answer (2 s away) without a thread, the name pinned meanwhile.
        assertThat(call).isNotDone();
        assertThat(PinnedDns.pinned("slow.toolformer.invalid")).isNotEmpty();

        assertThat(call.cancel(true)).isTrue();
        // The deadline or a cancel stops the exchange at once: the pin goes long before the answer would come.
        await().atMost(Duration.ofMillis(1_000)).until(() -> PinnedDns.pinned("slow.toolformer.invalid").isEmpty());
    }

    @Test
    void shouldTraceEveryHopAsAChildOfTheCallersSpanAlsoOnTheThreadsThatFollowTheRedirects() throws Exception {
        List<SpanData> ended = new CopyOnWriteArrayList<>();
        TestTracing.install(1.0, TestTracing.collectingInto(ended));
        try {
            Span parent = Tracing.tracer().spanBuilder("execute_tool http").startSpan();
            try (Scope scope = parent.makeCurrent()) {
                tool.executeAsync(call(get(base + "/late-redirect"))).toCompletableFuture().get(10, TimeUnit.SECONDS);
            } finally {
                parent.end();
            }

            await().atMost(Duration.ofSeconds(5)).until(() -> ended.size() == 3);
            List<SpanData> hops = ended.stream().filter(span -> span.getKind() == SpanKind.CLIENT).toList();
            assertThat(hops).hasSize(2).allSatisfy(hop -> {
                assertThat(hop.getName()).isEqualTo("GET");
                assertThat(hop.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
                assertThat(hop.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
            });
            assertThat(hops).extracting(hop -> hop.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                    .containsExactlyInAnyOrder(302L, 200L);
        } finally {
            TestTracing.reset();
        }
    }

    @Test
    void shouldCheckAndPinEachRedirectsNameAndAllowListedBlocks() throws Exception {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.0/8");
        List<String> lookups = new ArrayList<>();
        HttpTool resolvingToLoopback = new HttpTool(host -> {
            lookups.add(host);
            return new InetAddress[] {InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})};
        });
        String location = "http://hop.toolformer.invalid:" + other.getAddress().getPort() + "/echo?q=5";

        JsonNode json = JSON.readTree(resolvingToLoopback.execute(call(get("http://first.toolformer.invalid:" + server.getAddress().getPort()
                + "/to?status=302&location=" + URLEncoder.encode(location, StandardCharsets.UTF_8)))).outputJson());

        assertThat(json.get("body").asText()).isEqualTo("GET q=5 ");
        assertThat(lookups).containsExactly("first.toolformer.invalid", "hop.toolformer.invalid");
    }

    @Test
    void shouldTrustANameThatIsAllowListedWithoutResolvingIt() throws Exception {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "localhost:" + server.getAddress().getPort());
        HttpTool neverResolving = new HttpTool(host -> {
            throw new UnknownHostException(host);
        });

        JsonNode json = JSON.readTree(neverResolving.execute(call(get("http://localhost:" + server.getAddress().getPort()
                + "/echo?q=6"))).outputJson());

        assertThat(json.get("body").asText()).isEqualTo("GET q=6 ");
    }

    @Test
    void shouldFailNamingAnUnreadableAllowListEntry() {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "10.0.0.0/33");

        assertThatThrownBy(() -> tool.execute(call(get(base + "/echo"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("TOOLFORMER_HTTP_ALLOW_HOSTS entry '10.0.0.0/33' is not a host, host:port, address, "
                        + "address:port or CIDR block (10.0.0.0/8, fd00::/8)");
    }

    @Test
    void shouldFailRetriablyOnServerErrorsRateLimitsAndConnectionFailures() throws Exception {
        assertThatThrownBy(() -> tool.execute(call(get(base + "/status/503?token=abc123456789"))))
                .isInstanceOf(RetriableToolException.class)
                .hasMessage("http GET http://127.0.0.1:" + server.getAddress().getPort()
                        + "/status/503 returned 503: {\"error\":\"status 503\"}");
        assertThatThrownBy(() -> tool.execute(call(get(base + "/status/429"))))
                .isInstanceOf(RetriableToolException.class).hasMessageContaining("returned 429");

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1");
        assertThatThrownBy(() -> tool.execute(call(get("http://127.0.0.1:" + closedPort + "/"))))
                .isInstanceOf(RetriableToolException.class).hasMessageContaining("ConnectException");
    }

    @Test
    void shouldTimeOutRetriablyAfterTimeoutMs() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> tool.execute(call(get(base + "/slow").put("timeout_ms", 200))))
                .isInstanceOf(RetriableToolException.class).hasMessageContaining("HttpTimeoutException");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_800);
    }

    @Test
    void shouldTruncateLargeBodies() throws Exception {
        JsonNode json = JSON.readTree(tool.execute(call(get(base + "/big"))).outputJson());

        assertThat(json.get("truncated").asBoolean()).isTrue();
        assertThat(json.get("body").asText()).hasSize(HttpTool.MAX_BODY_BYTES);
    }

    @Test
    void shouldRefuseLoopbackWithoutAllowListNamingTheHost() {
        assumeTrue(System.getenv(HttpTool.ALLOW_HOSTS_ENV) == null, "allow-list set in the environment");
        System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
        int port = server.getAddress().getPort();

        assertThatThrownBy(() -> tool.execute(call(get("http://localhost:" + port + "/echo"))))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessageStartingWith("url host localhost resolves to a private or loopback address")
                .hasMessageEndingWith("; allow it with TOOLFORMER_HTTP_ALLOW_HOSTS");
        assertThat(SEEN).isEmpty();

        // host:port entries allow that port only
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "example.com, 127.0.0.1:" + (port == 1 ? 2 : port - 1));
        assertThatThrownBy(() -> tool.execute(call(get(base + "/echo"))))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessage("url host 127.0.0.1 resolves to a private or loopback address (127.0.0.1); "
                        + "allow it with TOOLFORMER_HTTP_ALLOW_HOSTS");
    }

    @Test
    void shouldRefusePrivateLinkLocalAndUniqueLocalLiterals() {
        assumeTrue(System.getenv(HttpTool.ALLOW_HOSTS_ENV) == null, "allow-list set in the environment");
        for (String url : new String[] {"http://10.1.2.3/", "https://172.16.0.1/x", "http://192.168.1.1:8080/",
                "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/", "http://[::1]/", "http://0.0.0.0/",
                "http://224.0.0.1/", "http://[::ffff:10.0.0.1]/"}) {
            assertThatThrownBy(() -> tool.execute(call(get(url))))
                    .as(url)
                    .isInstanceOf(InvalidArgumentsException.class)
                    .hasMessageContaining("resolves to a private or loopback address")
                    .hasMessageContaining("TOOLFORMER_HTTP_ALLOW_HOSTS");
        }
    }

    @Test
    void shouldRejectInvalidArgumentsNamingTheArgument() throws Exception {
        assertInvalid("{}", "missing required argument 'url'");
        assertInvalid("{\"url\":\"ftp://example.com/file\"}", "url must be an http or https URL, scheme was 'ftp'");
        assertInvalid("{\"url\":\"example.com/path\"}", "url must be an http or https URL, scheme was '(none)'");
        assertInvalid("{\"url\":\"http://exa mple.com/\"}", "url is not a valid URL: Illegal character in authority");
        assertInvalid("{\"url\":42}", "url must be a non-empty string");
        assertInvalid("{\"url\":\"http://user:pw@example.com/\"}",
                "url must not carry credentials (user:password@); send an Authorization header");
        assertInvalid("{\"url\":\"https://example.com\",\"method\":\"TRACE\"}",
                "method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, was \"TRACE\"");
        assertInvalid("{\"url\":\"https://example.com\",\"headers\":[\"a\"]}", "headers must be an object of strings, was a ARRAY");
        assertInvalid("{\"url\":\"https://example.com\",\"headers\":{\"X-Api-Key\":123456789}}",
                "headers.X-Api-Key must be a string, was a NUMBER");
        assertInvalid("{\"url\":\"https://example.com\",\"headers\":{\"Host\":\"internal\"}}",
                "headers.Host cannot be sent: restricted or malformed header (name or value)");
        assertInvalid("{\"url\":\"https://example.com\",\"headers\":{\"X-Token\":\"a\\r\\nX-Evil: 1\"}}",
                "headers.X-Token cannot be sent: restricted or malformed header (name or value)");
        assertInvalid("{\"url\":\"https://example.com\",\"body\":{\"a\":1}}",
                "body must be a string (serialize JSON bodies), was a OBJECT");
        assertInvalid("{\"url\":\"https://example.com\",\"method\":\"HEAD\",\"body\":\"x\"}", "body is not allowed with method HEAD");
        assertInvalid("{\"url\":\"https://example.com\",\"timeout_ms\":-5}", "timeout_ms must be a positive integer, was -5");
        assertInvalid("{\"url\":\"https://example.com\",\"verb\":\"GET\"}",
                "unknown argument 'verb'; the http tool takes method, url, headers, body, timeout_ms and follow_redirects");
        assertInvalid("{\"url\":\"https://example.com\",\"follow_redirects\":\"yes\"}",
                "follow_redirects must be true or false, was \"yes\"");
    }

    private void assertInvalid(String arguments, String message) throws IOException {
        ObjectNode args = args(arguments);
        assertThatThrownBy(() -> tool.execute(call(args))).as(arguments)
                .isInstanceOf(InvalidArgumentsException.class).hasMessage(message);
    }

    @Test
    void shouldBeDiscoveredWithTheOtherBuiltIns() {
        assertThat(ToolRegistry.discover().names()).contains("echo", "simulated", "http", "openai-chat");
    }
}
