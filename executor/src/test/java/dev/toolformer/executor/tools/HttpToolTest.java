package dev.toolformer.executor.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;
import dev.toolformer.executor.ToolRegistry;
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
    private static String base;

    private final HttpTool tool = new HttpTool();

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/echo", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            SEEN.put("x-api-key", String.valueOf(exchange.getRequestHeaders().getFirst("X-Api-Key")));
            SEEN.put("authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.getResponseHeaders().add("Set-Cookie", "session=" + SECRET);
            respond(exchange, 200, "text/plain; charset=utf-8",
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawQuery() + " " + body);
        });
        server.createContext("/status/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
            respond(exchange, status, "application/json", "{\"error\":\"status " + status + "\"}");
        });
        server.createContext("/redirect", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://10.0.0.1/internal");
            respond(exchange, 302, "text/plain", "moved");
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
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    @BeforeEach
    void allowTheLocalServer() {
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1:" + server.getAddress().getPort());
        SEEN.clear();
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
    void shouldReturnClientErrorsAndRedirectsAsOutput() throws Exception {
        JsonNode notFound = JSON.readTree(tool.execute(call(get(base + "/status/404"))).outputJson());
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("body").asText()).isEqualTo("{\"error\":\"status 404\"}");

        JsonNode redirect = JSON.readTree(tool.execute(call(get(base + "/redirect"))).outputJson());
        assertThat(redirect.get("status").asInt()).isEqualTo(302); // not followed, so never to 10.0.0.1
        assertThat(redirect.path("headers").path("location").asText()).isEqualTo("http://10.0.0.1/internal");

        JsonNode head = JSON.readTree(tool.execute(call(get(base + "/status/204").put("method", "HEAD"))).outputJson());
        assertThat(head.get("status").asInt()).isEqualTo(204);
        assertThat(head.get("body").asText()).isEmpty();
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
    void shouldClassifyAddresses() throws Exception {
        for (String publicAddress : new String[] {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2001:4860:4860::8888"}) {
            assertThat(HttpTool.isNonPublic(InetAddress.getByName(publicAddress))).as(publicAddress).isFalse();
        }
        for (String internal : new String[] {"127.0.0.2", "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.1.1",
                "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "fdff::1", "ff02::1", "::"}) {
            assertThat(HttpTool.isNonPublic(InetAddress.getByName(internal))).as(internal).isTrue();
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
                "unknown argument 'verb'; the http tool takes method, url, headers, body and timeout_ms");
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
