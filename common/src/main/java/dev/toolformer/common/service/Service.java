package dev.toolformer.common.service;

import java.time.Duration;
import java.util.Optional;

/**
 * The one lifecycle of the pipeline's services (the executor, analytics, the alert processor), so that whatever
 * hosts them (a standalone service process, the all-in-one) starts, watches and stops each the same way.
 */
public interface Service extends AutoCloseable {
    /** How long a loop that should make progress may make none before the service reports itself stalled. */
    Duration DEFAULT_LIVENESS_LIMIT = Duration.ofMinutes(2);

    /** Starts the service's threads; returns at once. */
    void start();

    /** True while the service does its work (joined its group, caught up on what it must read first). */
    boolean isReady();

    /**
     * The error that stopped the service early, described for an operator (what it could not do, whose ACLs
     * or credentials to check); empty while it runs as it should. A host stops on it instead of idling unready.
     */
    Optional<RuntimeException> failure();

    /**
     * Why the service is stuck, if it is: a loop that should make progress (the executor's poll loop, a Streams
     * thread) has made none for longer than its liveness limit. A host reports it on {@code /health/live}, whose
     * failure makes an orchestrator restart the process. Empty while it makes progress, and while it starts,
     * stops or has failed (see {@link #failure()}).
     */
    default Optional<String> stalled() {
        return Optional.empty();
    }

    /** Stops the service, finishing or handing over its work; false if {@code timeout} passed first. */
    boolean close(Duration timeout);

    /** {@link #close(Duration)} with the service's own default timeout. */
    @Override
    void close();
}
