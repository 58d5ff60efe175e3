package dev.toolformer.executor.tools;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.executor.InvalidArgumentsException;
import dev.toolformer.executor.RetriableToolException;
import dev.toolformer.executor.Tool;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;

/**
 * Makes one HTTP request. Arguments: {@code method} (GET, POST, PUT, PATCH, DELETE or HEAD; GET when
 * absent), {@code url} (required, http or https), {@code headers} (object of strings), {@code body}
 * (string), {@code timeout_ms} (capped by the call's deadline).
 *
 * <p>Output: {@code {"status": 200, "headers": {"content-type": ...}, "body": "...", "truncated": false}};
 * the body is cut after {@link #MAX_BODY_BYTES}. A 5xx, a 429 or a connection failure is a
 * {@link RetriableToolException}; any other status, including 4xx and 3xx (redirects are not followed),
 * is an output: the status is the answer, and a retry would get the same one.
 *
 * <p>Targets that resolve to loopback, link-local, private, unique-local, multicast or wildcard
 * addresses are refused unless their host (or host:port) is listed in {@code TOOLFORMER_HTTP_ALLOW_HOSTS}
 * or the system property {@code toolformer.http.allow-hosts}. Request headers never appear in outputs
 * or errors.
 */
public final class HttpTool implements Tool {
    /** Largest response body returned, in bytes (1 MiB); the rest is dropped and {@code truncated} is true. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    public static final String ALLOW_HOSTS_ENV = "TOOLFORMER_HTTP_ALLOW_HOSTS";
    public static final String ALLOW_HOSTS_PROPERTY = "toolformer.http.allow-hosts";

    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
    private static final Set<String> ARGUMENTS = Set.of("method", "url", "headers", "body", "timeout_ms");
    /** Response headers copied to the output. */
    private static final String[] OUTPUT_HEADERS = {"content-type", "location"};

    @Override
    public String name() {
        return "http";
    }

    @Override
    public ToolOutput execute(ToolCall call) throws Exception {
        ObjectNode args = call.arguments();
        checkArgumentNames(args);
        String method = method(args);
        URI uri = url(args);
        Map<String, String> headers = headers(args);
        String body = body(args, method);
        long timeoutMs = timeoutMs(args);

        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .version(HttpSupport.version(uri.getScheme()))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (Map.Entry<String, String> header : headers.entrySet()) {
            try {
                request.header(header.getKey(), header.getValue());
            } catch (IllegalArgumentException e) {
                // The JDK refuses restricted (Host, Content-Length, Connection...) and malformed headers.
                throw new InvalidArgumentsException("headers." + header.getKey()
                        + " cannot be sent: restricted or malformed header (name or value)");
            }
        }

        checkAddress(uri); // last: every argument is valid before the host is resolved
        request.timeout(HttpSupport.timeout(call, timeoutMs));

        String target = describe(method, uri);
        HttpResponse<InputStream> response;
        try {
            response = HttpSupport.CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new RetriableToolException(target + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + Redactor.redact(e.getMessage())), null);
        }
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

    private static void checkArgumentNames(ObjectNode args) throws InvalidArgumentsException {
        for (Iterator<String> names = args.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ARGUMENTS.contains(name)) {
                throw new InvalidArgumentsException("unknown argument '" + name
                        + "'; the http tool takes method, url, headers, body and timeout_ms");
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

    /**
     * Refuses a host that resolves to a non-public address, unless allow-listed. Every address the
     * name resolves to is checked. The client resolves the name again when it connects, so a DNS
     * server that changes its answer in between (rebinding) is not stopped by this check.
     */
    private static void checkAddress(URI uri) throws InvalidArgumentsException, RetriableToolException {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
        if (allowed(host, port)) {
            return;
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(bare);
        } catch (UnknownHostException e) {
            // DNS failures are often transient; a name that never resolves fails every attempt alike.
            throw new RetriableToolException("url host " + host + " could not be resolved", null);
        }
        for (InetAddress address : addresses) {
            if (isNonPublic(address)) {
                throw new InvalidArgumentsException("url host " + host + " resolves to a private or loopback address ("
                        + address.getHostAddress() + "); allow it with " + ALLOW_HOSTS_ENV);
            }
        }
    }

    /** The allow-list: the environment variable and the system property together. */
    static Set<String> allowList() {
        Set<String> entries = new LinkedHashSet<>();
        for (String source : new String[] {System.getenv(ALLOW_HOSTS_ENV), System.getProperty(ALLOW_HOSTS_PROPERTY)}) {
            if (source == null) {
                continue;
            }
            for (String entry : source.split(",")) {
                String e = entry.trim().toLowerCase(Locale.ROOT);
                if (!e.isEmpty()) {
                    entries.add(e);
                }
            }
        }
        return entries;
    }

    private static boolean allowed(String host, int port) {
        Set<String> allow = allowList();
        if (allow.isEmpty()) {
            return false;
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return allow.contains(host) || allow.contains(bare) || allow.contains(host + ":" + port)
                || allow.contains("[" + bare + "]:" + port);
    }

    /** Loopback, link-local, site-local/private, unique-local (fc00::/7), multicast, wildcard, 0/8 and 100.64/10. */
    static boolean isNonPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isMulticastAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 // "this network"
                    || first == 100 && second >= 64 && second < 128; // carrier-grade NAT, often internal in clouds
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return true; // unique local fc00::/7
            }
            boolean mapped = true; // ::ffff:a.b.c.d that was not turned into an Inet4Address
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return isNonPublic(InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException impossible) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code GET https://host:port/path}: no query string and no user info, which may carry secrets. */
    private static String describe(String method, URI uri) {
        String port = uri.getPort() == -1 ? "" : ":" + uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return "http " + method + " " + uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + port
                + abbreviate(path);
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
