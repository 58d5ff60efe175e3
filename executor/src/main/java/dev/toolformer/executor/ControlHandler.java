package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.SpeculationOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code toolformer.control} commands addressed to this executor (target {@code "*"} or its
 * id) and negative speculation outcomes. A null tool or provider means "all".
 * <ul>
 * <li>OPEN_BREAKER: with {@code probe_after_ms}, open the tool+provider breakers (fast UNAVAILABLE
 *     "CircuitOpen" results) and let them probe after that long: half-open, a few calls go through,
 *     success closes the breakers, failure re-opens them; without, force them open until CLOSE_BREAKER,
 *     RESUME or {@code expires_at};</li>
 * <li>CLOSE_BREAKER: close and reset the breakers;</li>
 * <li>THROTTLE: with {@code rate_per_s}, limit the provider (or all requests) to that rate; without,
 *     lower max in-flight to {@code throttle-factor} of the configured value. UNTHROTTLE undoes it
 *     (for one provider, or everything when the provider is null);</li>
 * <li>CANCEL: the request {@code request_id} finishes CANCELLED (at once if running, or when read);</li>
 * <li>RESUME: lifts every override of the scope: breakers closed, throttles lifted;</li>
 * <li>SCALE_UP: not for executors; ignored.</li>
 * </ul>
 * A command whose {@code expires_at} has passed is ignored; OPEN_BREAKER and THROTTLE with an
 * {@code expires_at} are undone at that time. Thread-safe.
 */
final class ControlHandler {
    private static final Logger log = LoggerFactory.getLogger(ControlHandler.class);

    private final ExecutorConfig config;
    private final Resilience resilience;
    private final RequestHandler requests;
    private final ExecutorMetrics metrics;
    private final Clock clock;
    private final ScheduledExecutorService timers;

    ControlHandler(ExecutorConfig config, Resilience resilience, RequestHandler requests, ExecutorMetrics metrics,
                   Clock clock, ScheduledExecutorService timers) {
        this.config = config;
        this.resilience = resilience;
        this.requests = requests;
        this.metrics = metrics;
        this.clock = clock;
        this.timers = timers;
    }

    /** Applies the command if it is for this executor and still current; false when it was ignored. */
    boolean apply(ControlCommand command) {
        if (!command.getTarget().equals("*") && !command.getTarget().equals(config.executorId())) {
            return false;
        }
        Instant expires = command.getExpiresAt();
        if (expires != null && !expires.isAfter(clock.instant())) {
            log.info("Ignoring expired control command {}", command.getCommandId());
            return false;
        }
        String tool = command.getTool();
        String provider = command.getProvider();
        switch (command.getAction()) {
            case OPEN_BREAKER -> {
                if (command.getProbeAfterMs() != null) {
                    resilience.openBreakers(tool, provider, Duration.ofMillis(command.getProbeAfterMs()));
                } else {
                    resilience.openBreakers(tool, provider);
                    undoAt(expires, () -> resilience.closeBreakers(tool, provider));
                }
            }
            case CLOSE_BREAKER -> resilience.closeBreakers(tool, provider);
            case THROTTLE -> throttle(command, expires);
            case UNTHROTTLE -> unthrottle(provider);
            case CANCEL -> {
                if (command.getRequestId() == null) {
                    log.warn("Ignoring CANCEL command {} without request_id", command.getCommandId());
                    return false;
                }
                requests.cancel(command.getRequestId(), "cancelled by control command " + command.getCommandId()
                        + (command.getReason().isEmpty() ? "" : ": " + command.getReason()));
            }
            case RESUME -> {
                resilience.closeBreakers(tool, provider);
                unthrottle(provider);
            }
            case SCALE_UP -> {
                return false;
            }
        }
        metrics.controlCommand(command.getAction().name());
        log.info("Executor {} applied {} (tool={}, provider={}, command {}, by '{}': {})", config.executorId(),
                command.getAction(), tool, provider, command.getCommandId(), command.getIssuedBy(), command.getReason());
        return true;
    }

    /** A discarded speculative result: its request, if still running or not read yet, finishes CANCELLED. */
    boolean apply(SpeculationOutcome outcome) {
        if (outcome.getUsed()) {
            return false;
        }
        return requests.cancel(outcome.getRequestId(), "speculative result not used"
                + (outcome.getReason().isEmpty() ? "" : ": " + outcome.getReason()));
    }

    private void throttle(ControlCommand command, Instant expires) {
        String provider = command.getProvider();
        if (command.getRatePerS() != null) {
            resilience.throttle(provider, command.getRatePerS());
            undoAt(expires, () -> resilience.unthrottle(provider));
        } else {
            requests.limitInFlight((int) Math.max(1, config.maxInFlight() * config.throttleFactor()));
            undoAt(expires, () -> requests.limitInFlight(config.maxInFlight()));
        }
    }

    private void unthrottle(String provider) {
        resilience.unthrottle(provider);
        if (provider == null) {
            requests.limitInFlight(config.maxInFlight());
        }
    }

    private void undoAt(Instant expires, Runnable undo) {
        if (expires != null) {
            long delay = Math.max(0, Duration.between(clock.instant(), expires).toMillis());
            timers.schedule(undo, delay, TimeUnit.MILLISECONDS);
        }
    }
}
