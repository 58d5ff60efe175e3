package dev.toolformer.executor.tools;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.toolformer.executor.InvalidArgumentsException;

/** One request of an {@code http} call: the first, or one a redirect leads to. */
record HttpHop(String method, URI uri, Map<String, String> headers, String body) {
    /**
     * Request headers sent on when a redirect leads to another origin (scheme, host or port); the rest
     * (Authorization, API keys, cookies...) were given for the first origin only.
     */
    static final Set<String> CROSS_ORIGIN_HEADERS = Set.of("accept", "accept-language", "content-language",
            "content-type", "user-agent");
    /** Headers that describe a body, dropped with it when a redirect turns the request into a GET. */
    private static final Set<String> BODY_HEADERS = Set.of("content-type", "content-encoding", "content-language",
            "content-location");

    HttpHop {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /**
     * The JDK request.
     *
     * @throws InvalidArgumentsException naming the header (never its value) that the JDK refuses as restricted
     *         (Host, Content-Length, Connection...) or malformed
     */
    HttpRequest build(Duration timeout) throws InvalidArgumentsException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .version(HttpSupport.version(uri.getScheme()))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (Map.Entry<String, String> header : headers.entrySet()) {
            try {
                request.header(header.getKey(), header.getValue());
            } catch (IllegalArgumentException e) {
                throw new InvalidArgumentsException("headers." + header.getKey()
                        + " cannot be sent: restricted or malformed header (name or value)");
            }
        }
        return request.build();
    }

    /**
     * The request a redirect leads to. As browsers do, a 303 (and a 301 or 302 after a POST) becomes a
     * GET without body; 307 and 308 keep method and body. Headers go on to the same origin only, except
     * {@link #CROSS_ORIGIN_HEADERS}.
     *
     * @throws RedirectRefusedException when the location is not an http or https URL with a host and no credentials
     */
    HttpHop redirect(int status, String location) throws RedirectRefusedException {
        URI target;
        try {
            // URI.resolve drops the slash between an empty base path and a relative reference: add it.
            URI base = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? uri.resolve("/") : uri;
            target = base.resolve(new URI(location.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            // The location is not quoted: its query string may hold a credential.
            throw new RedirectRefusedException(describe() + " was redirected (" + status + ") to a location that is not a valid URL");
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new RedirectRefusedException(describe() + " was redirected (" + status + ") to a URL "
                    + (scheme.isEmpty() ? "without scheme" : "of scheme '" + abbreviate(scheme) + "'")
                    + "; only http and https are followed");
        }
        if (target.getHost() == null || target.getHost().isEmpty()) {
            throw new RedirectRefusedException(describe() + " was redirected (" + status + ") to a URL without host");
        }
        if (target.getRawUserInfo() != null) {
            throw new RedirectRefusedException(describe() + " was redirected (" + status
                    + ") to a URL with credentials (user:password@), which are not followed");
        }
        boolean toGet = status == 303 ? !method.equals("HEAD") : (status == 301 || status == 302) && method.equals("POST");
        boolean sameOrigin = origin(uri).equals(origin(target));
        Map<String, String> next = new LinkedHashMap<>();
        headers.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if ((sameOrigin || CROSS_ORIGIN_HEADERS.contains(lower)) && !(toGet && BODY_HEADERS.contains(lower))) {
                next.put(name, value);
            }
        });
        return new HttpHop(toGet ? "GET" : method, target, next, toGet ? null : body);
    }

    /** The host, lower case, an IPv6 literal without brackets. */
    String host() {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The port, the scheme's default when the URL has none. */
    int port() {
        return uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** {@code http GET https://host:port/path}: no query string and no user info, which may carry secrets. */
    String describe() {
        return "http " + method + " " + location();
    }

    /** {@code https://host:port/path}: no query string and no user info, which may carry secrets. */
    String location() {
        String port = uri.getPort() == -1 ? "" : ":" + uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + port + abbreviate(path);
    }

    private static String origin(URI uri) {
        int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
        return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
