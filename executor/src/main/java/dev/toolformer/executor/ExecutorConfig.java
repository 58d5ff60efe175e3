package dev.toolformer.executor;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one executor instance; every value is checked when built.
 *
 * @param executorId       unique id of this instance (heartbeats, results' executor_id)
 * @param groupId          consumer group shared by every executor instance
 * @param maxInFlight      most requests running at once in this instance
 * @param maxAttempts      attempts per request when the request does not say (retriable failures)
 * @param maxTimeout       largest accepted timeout_ms; larger requests are REJECTED
 * @param retryBackoff     first retry delay; doubles each attempt, with jitter
 * @param heartbeatInterval how often a heartbeat is published
 */
public record ExecutorConfig(String executorId, String groupId, int maxInFlight, int maxAttempts,
                             Duration maxTimeout, Duration retryBackoff, Duration heartbeatInterval) {

    public ExecutorConfig {
        Objects.requireNonNull(executorId, "executor.id == null");
        Objects.requireNonNull(groupId, "executor.group-id == null");
        if (executorId.isBlank()) {
            throw new IllegalArgumentException("executor.id must not be blank");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("executor.max-in-flight must be >= 1, was " + maxInFlight);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("executor.max-attempts must be >= 1, was " + maxAttempts);
        }
        requirePositive("executor.max-timeout", maxTimeout);
        requirePositive("executor.retry-backoff", retryBackoff);
        requirePositive("executor.heartbeat-interval", heartbeatInterval);
    }

    public static ExecutorConfig defaults(String executorId) {
        return new ExecutorConfig(executorId, "toolformer-executor", 10_000, 3, Duration.ofMinutes(10),
                Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    public ExecutorConfig withMaxInFlight(int value) {
        return new ExecutorConfig(executorId, groupId, value, maxAttempts, maxTimeout, retryBackoff, heartbeatInterval);
    }

    private static void requirePositive(String key, Duration value) {
        Objects.requireNonNull(value, key + " == null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be > 0, was " + value);
        }
    }
}
