package dev.toolformer.executor.tools;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

import dev.toolformer.common.security.Redactor;
import dev.toolformer.executor.ToolCall;

/** What the {@code http} and {@code openai-chat} tools share: deadlines, bounded bodies, a client. */
final class HttpSupport {
    /**
     * The {@code openai-chat} tool's client, one for every call (it pools connections and is thread-safe;
     * the {@code http} tool has its own, without proxy). Its own asynchronous work runs on virtual
     * threads. Redirects are never followed.
     */
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    /** Where the asynchronous tools read response bodies (a blocking stream, capped): a virtual thread each. */
    static final Executor BODY_READERS = task -> Thread.ofVirtual().name("http-body-reader").start(task);

    /** Longest piece of a response body quoted in an error message. */
    static final int ERROR_SNIPPET_CHARS = 300;

    private HttpSupport() {
    }

    /**
     * The request timeout: the time left before the call's deadline, or {@code requestedMs} when that
     * is shorter.
     *
     * @throws TimeoutException when the deadline has already passed
     */
    static Duration timeout(ToolCall call, long requestedMs) throws TimeoutException {
        return timeLeft(deadline(call, requestedMs));
    }

    /** The call's deadline, or {@code requestedMs} from now when that is sooner (and positive). */
    static Instant deadline(ToolCall call, long requestedMs) {
        Instant now = Instant.now();
        boolean sooner = requestedMs > 0 && requestedMs < Duration.between(now, call.deadline()).toMillis();
        return sooner ? now.plusMillis(requestedMs) : call.deadline();
    }

    /**
     * The time left before {@code deadline}.
     *
     * @throws TimeoutException when it has already passed
     */
    static Duration timeLeft(Instant deadline) throws TimeoutException {
        long leftMs = Duration.between(Instant.now(), deadline).toMillis();
        if (leftMs <= 0) {
            throw new TimeoutException("the call's deadline passed before the request was sent");
        }
        return Duration.ofMillis(leftMs);
    }

    /**
     * Plain {@code http://} uses HTTP/1.1 (no h2c upgrade, which some servers mishandle); {@code https://}
     * negotiates HTTP/2 or HTTP/1.1 with ALPN.
     */
    static HttpClient.Version version(String scheme) {
        return "http".equalsIgnoreCase(scheme) ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2;
    }

    /** At most {@code max} bytes of {@code in}, plus whether there was more; closes the stream. */
    static Bounded read(InputStream in, int max) throws IOException {
        try (in) {
            byte[] bytes = in.readNBytes(max);
            boolean truncated = bytes.length == max && in.read() != -1;
            return new Bounded(bytes, truncated);
        }
    }

    /** The charset of a {@code content-type} header value, UTF-8 when absent or unknown. */
    static Charset charset(String contentType) {
        if (contentType != null) {
            for (String part : contentType.split(";")) {
                String p = part.trim();
                if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                    String name = p.substring("charset=".length()).replace("\"", "").trim();
                    try {
                        return Charset.forName(name);
                    } catch (IllegalArgumentException unknown) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** The start of an error body, secrets masked, for an exception message. */
    static String snippet(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String oneLine = body.strip().replaceAll("\\s+", " ");
        String redacted = Redactor.redact(oneLine);
        return redacted.length() <= ERROR_SNIPPET_CHARS ? redacted : redacted.substring(0, ERROR_SNIPPET_CHARS) + "…";
    }

    /** A response body read up to a limit. */
    record Bounded(byte[] bytes, boolean truncated) {
        String text(Charset charset) {
            return new String(bytes, charset);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bounded b && truncated == b.truncated && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(bytes) + Boolean.hashCode(truncated);
        }

        @Override
        public String toString() {
            return "Bounded[" + bytes.length + " bytes, truncated=" + truncated + "]";
        }
    }
}
