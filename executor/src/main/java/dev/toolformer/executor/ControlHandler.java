package dev.toolformer.executor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.toolformer.schema.ControlAction;
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
 * <li>SCALE_UP: not for executors; ignored;</li>
 * <li>TRIGGER_GC: a full garbage collection ({@code System.gc()}, which {@code -XX:+ExplicitGCInvokesConcurrent}
 *     makes concurrent), logged with the heap in use before and after; never replayed at start.</li>
 * </ul>
 * A command whose {@code expires_at} has passed is ignored; OPEN_BREAKER and THROTTLE with an
 * {@code expires_at} are undone at that time — unless a later command for the same scope took over
 * meanwhile: each undo is keyed by the id of the command that scheduled it and does nothing once
 * another command is the one in force for its scope.
 * <p>
 * An executor that starts {@linkplain #replay replays} the commands of the control topic's retention in
 * order, so it starts with the breakers and throttles in force rather than with everything closed.
 * Thread-safe.
 */
final class ControlHandler {
    private static final Logger log = LoggerFactory.getLogger(ControlHandler.class);
    /** Scopes of {@link #inForce}: the breakers of a tool+provider, a provider's rate, the in-flight limit. */
    private static final String RATE = "rate:";
    private static final String IN_FLIGHT = "in-flight";

    private final ExecutorConfig config;
    private final Resilience resilience;
    private final RequestHandler requests;
    private final ExecutorMetrics metrics;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    /** The id of the command in force per scope (see {@link #scopes}); undo timers check it. */
    private final Map<String, String> inForce = new ConcurrentHashMap<>();

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
        return apply(command, false);
    }

    /**
     * Applies a command read while recovering the state in force at start (published before this executor
     * followed the topic). As {@link #apply(ControlCommand)}, except that an OPEN_BREAKER with probing is in
     * force only until {@code issued_at + probe_after_ms} (after that, calls probe the provider, which this
     * executor's own calls do) and opens for what is left of it; replayed commands are logged and counted
     * apart.
     *
     * @return true when it was applied
     */
    boolean replay(ControlCommand command) {
        if (command.getAction() == ControlAction.TRIGGER_GC) {
            // A collection asked for in the past says nothing about this process's heap.
            return false;
        }
        if (command.getAction() == ControlAction.OPEN_BREAKER && command.getProbeAfterMs() != null) {
            long left = command.getIssuedAt().toEpochMilli() + command.getProbeAfterMs() - clock.millis();
            if (left <= 0) {
                return false;
            }
            command = ControlCommand.newBuilder(command).setProbeAfterMs(left).build();
        }
        return apply(command, true);
    }

    private boolean apply(ControlCommand command, boolean replayed) {
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
                String scope = take(breakerScope(tool, provider), command);
                if (command.getProbeAfterMs() != null) {
                    resilience.openBreakers(tool, provider, Duration.ofMillis(command.getProbeAfterMs()));
                } else {
                    resilience.openBreakers(tool, provider);
                    undoAt(scope, command, expires, () -> resilience.closeBreakers(tool, provider));
                }
            }
            case CLOSE_BREAKER -> {
                take(breakerScope(tool, provider), command);
                resilience.closeBreakers(tool, provider);
            }
            case THROTTLE -> throttle(command, expires);
            case UNTHROTTLE -> unthrottle(provider, command);
            case CANCEL -> {
                if (command.getRequestId() == null) {
                    log.warn("Ignoring CANCEL command {} without request_id", command.getCommandId());
                    return false;
                }
                requests.cancel(command.getRequestId(), "cancelled by control command " + command.getCommandId()
                        + (command.getReason().isEmpty() ? "" : ": " + command.getReason()));
            }
            case RESUME -> {
                take(breakerScope(tool, provider), command);
                resilience.closeBreakers(tool, provider);
                unthrottle(provider, command);
            }
            case SCALE_UP -> {
                return false;
            }
            case TRIGGER_GC -> collectGarbage(command);
        }
        if (replayed) {
            metrics.controlCommandRecovered(command.getAction().name());
        } else {
            metrics.controlCommand(command.getAction().name());
        }
        log.info("Executor {} {} {} (tool={}, provider={}, command {} issued at {}, by '{}': {})", config.executorId(),
                replayed ? "recovered" : "applied", command.getAction(), tool, provider, command.getCommandId(),
                command.getIssuedAt(), command.getIssuedBy(), command.getReason());
        return true;
    }

    private void collectGarbage(ControlCommand command) {
        Runtime rt = Runtime.getRuntime();
        long before = rt.totalMemory() - rt.freeMemory();
        long start = System.nanoTime();
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        log.info("Executor {} ran a garbage collection for command {}: heap in use {} MiB -> {} MiB of {} MiB max,"
                        + " {} ms", config.executorId(), command.getCommandId(), before >> 20, after >> 20,
                rt.maxMemory() >> 20, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
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
            String scope = take(RATE + provider, command);
            resilience.throttle(provider, command.getRatePerS());
            undoAt(scope, command, expires, () -> resilience.unthrottle(provider));
        } else {
            String scope = take(IN_FLIGHT, command);
            requests.limit().limitInFlight((int) Math.max(1, config.maxInFlight() * config.throttleFactor()));
            undoAt(scope, command, expires, () -> requests.limit().limitInFlight(config.maxInFlight()));
        }
    }

    private void unthrottle(String provider, ControlCommand command) {
        if (provider == null) {
            // Everything is lifted: no earlier undo may act any more.
            inForce.keySet().removeIf(scope -> scope.startsWith(RATE) || scope.equals(IN_FLIGHT));
        }
        take(RATE + provider, command);
        resilience.unthrottle(provider);
        if (provider == null) {
            requests.limit().limitInFlight(config.maxInFlight());
        }
    }

    private static String breakerScope(String tool, String provider) {
        return "breaker:" + tool + "|" + provider;
    }

    /** Makes {@code command} the one in force for {@code scope}; returns the scope. */
    private String take(String scope, ControlCommand command) {
        inForce.put(scope, command.getCommandId());
        return scope;
    }

    /** Runs {@code undo} at {@code expires}, if {@code command} is then still the one in force for {@code scope}. */
    private void undoAt(String scope, ControlCommand command, Instant expires, Runnable undo) {
        if (expires == null) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), expires).toMillis());
        String id = command.getCommandId();
        timers.schedule(() -> {
            if (inForce.remove(scope, id)) {
                undo.run();
                log.info("Executor {} undid {} of command {}: it expired at {}", config.executorId(),
                        command.getAction(), id, expires);
            } else {
                log.debug("Expiry of command {} ignored: a later command is in force for {}", id, scope);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }
}
