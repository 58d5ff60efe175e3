package dev.toolformer.alerts.incident;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.IncidentPolicy;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

/**
 * POSTs notifications to a receiver's webhooks: each webhook has its own rate limiter (the receiver's
 * {@code max_per_minute}) and retries with exponential backoff on connection failures, 429 and 5xx.
 * Thread-safe; called from virtual threads.
 */
final class WebhookSender {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** A failure that may pass if tried again: connection trouble, 429 or 5xx. */
    static final class RetriableWebhookException extends IOException {
        private static final long serialVersionUID = 1L;

        RetriableWebhookException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The outcome of one notification: every webhook's result, and whether all succeeded. */
    record Result(boolean ok, String detail) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final Duration initialBackoff;
    private final Duration rateWait;

    /**
     * @param initialBackoff the wait before the first retry, doubled for each further one
     * @param rateWait       how long a notification over the rate limit waits for a permit before failing
     */
    WebhookSender(Duration initialBackoff, Duration rateWait) {
        this.initialBackoff = initialBackoff;
        this.rateWait = rateWait;
    }

    Result send(IncidentPolicy.Receiver receiver, Notification notification, String prefix) {
        return send(receiver, notification, prefix, format -> true);
    }

    /** Sends {@code notification} to the webhooks of {@code receiver} whose format {@code formats} accepts. */
    Result send(IncidentPolicy.Receiver receiver, Notification notification, String prefix,
                Predicate<IncidentPolicy.Format> formats) {
        if (receiver.webhooks().isEmpty()) {
            return new Result(true, "receiver " + receiver.name() + " has no webhooks configured: logged only");
        }
        boolean ok = true;
        List<String> details = new ArrayList<>();
        for (IncidentPolicy.Webhook hook : receiver.webhooks()) {
            if (!formats.test(hook.format())) {
                continue;
            }
            String body = WebhookPayloads.body(hook.format(), notification, prefix);
            try {
                int status = post(receiver, hook, body);
                details.add(hook.format().name().toLowerCase(Locale.ROOT) + " " + describe(hook.url()) + " -> " + status);
            } catch (RequestNotPermitted e) {
                ok = false;
                details.add(describe(hook.url()) + " rate limited: more than " + receiver.maxPerMinute() + " per minute");
            } catch (IOException e) {
                ok = false;
                details.add(describe(hook.url()) + " failed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ok = false;
                details.add(describe(hook.url()) + " interrupted");
            }
        }
        return new Result(ok, String.join("; ", details));
    }

    private int post(IncidentPolicy.Receiver receiver, IncidentPolicy.Webhook hook, String body)
            throws IOException, InterruptedException {
        RateLimiter limiter = limiters.computeIfAbsent(receiver.name() + " " + hook.url(), name -> RateLimiter.of(name,
                RateLimiterConfig.custom().limitForPeriod(receiver.maxPerMinute())
                        .limitRefreshPeriod(Duration.ofMinutes(1)).timeoutDuration(rateWait).build()));
        RateLimiter.waitForPermission(limiter);
        Retry retry = Retry.of(hook.url().toString(), RetryConfig.custom()
                .maxAttempts(receiver.retries() + 1)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(initialBackoff, 2.0))
                .retryExceptions(RetriableWebhookException.class)
                .build());
        HttpRequest request = HttpRequest.newBuilder(hook.url()).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            return retry.executeCallable(() -> attempt(request));
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private int attempt(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RetriableWebhookException("POST " + describe(request.uri()) + ": " + e, e);
        }
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            throw new RetriableWebhookException("POST " + describe(request.uri()) + " -> " + status, null);
        }
        if (status >= 300) {
            throw new IOException("POST " + describe(request.uri()) + " -> " + status + " " + abbreviate(response.body()));
        }
        return status;
    }

    /**
     * A webhook URL as results, incident records (and so the dashboard) and logs show it: scheme, host and
     * port. The rest stays out because it is often the credential: a Slack or Teams webhook's path, a
     * token in the query, a user and password.
     */
    static String describe(URI url) {
        String port = url.getPort() == -1 ? "" : ":" + url.getPort();
        String path = url.getRawPath();
        boolean more = path != null && !path.isEmpty() && !path.equals("/") || url.getRawQuery() != null;
        return url.getScheme() + "://" + url.getHost() + port + (more ? "/..." : "");
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
