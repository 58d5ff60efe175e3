package dev.toolformer.executor;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;

/**
 * Per-provider rate limits and per-tool+provider circuit breakers (resilience4j), with the remote
 * overrides {@code toolformer.control} applies: breakers opened with probing (open for a while, then
 * half-open: a few calls go through, success closes the breaker, failure re-opens it), breakers forced
 * open until told otherwise, and throttled rates. A null tool or provider in an override means "all".
 * Thread-safe.
 */
final class Resilience {
    /** Rate-limiter key applying to every request. */
    static final String ALL = "*";

    private record Scope(String tool, String provider) {
        boolean covers(String t, String p) {
            return (tool == null || tool.equals(t)) && (provider == null || provider.equals(p));
        }
    }

    private final ExecutorConfig config;
    private final ExecutorMetrics metrics;
    private final CircuitBreakerConfig breakerConfig;
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final Map<Scope, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    /** The same breakers, for resilience4j's Micrometer binder (one {@code state} series per state, call counts). */
    private final CircuitBreakerRegistry breakerRegistry;
    private final Set<Scope> forcedOpen = ConcurrentHashMap.newKeySet();
    /** Scopes opened with probing, and when their breakers may start to probe. */
    private final Map<Scope, Instant> probingFrom = new ConcurrentHashMap<>();

    Resilience(ExecutorConfig config, ExecutorMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.breakerConfig = CircuitBreakerConfig.custom()
                .failureRateThreshold(config.breakerFailureRatePercent())
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.breakerMinimumCalls())
                .minimumNumberOfCalls(config.breakerMinimumCalls())
                .waitDurationInOpenState(config.breakerOpenDuration())
                .permittedNumberOfCallsInHalfOpenState(Math.max(1, Math.min(5, config.breakerMinimumCalls())))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build();
        this.breakerRegistry = CircuitBreakerRegistry.of(breakerConfig);
        metrics.bindBreakers(breakerRegistry);
        config.providerRates().forEach((provider, rate) -> limiters.put(provider, limiter(provider, rate)));
    }

    /**
     * Waits until every limit that applies to {@code provider} lets one more call through.
     *
     * @return false when the deadline would pass first (no permission is then held)
     */
    boolean awaitPermit(String provider, Instant deadline) throws InterruptedException {
        return await(limiters.get(ALL), deadline) && await(provider.equals(ALL) ? null : limiters.get(provider), deadline);
    }

    private static boolean await(RateLimiter limiter, Instant deadline) throws InterruptedException {
        if (limiter == null) {
            return true;
        }
        while (!limiter.acquirePermission()) {
            long period = limiter.getRateLimiterConfig().getLimitRefreshPeriod().toNanos();
            long wait = limiter.getMetrics() instanceof AtomicRateLimiter.AtomicRateLimiterMetrics m
                    ? Math.max(m.getNanosToWait(), 1_000_000) : period;
            // Jitter spreads the waiters that wake for the same refresh.
            wait += ThreadLocalRandom.current().nextLong(Math.max(1, period / 4));
            long remaining = Duration.between(Instant.now(), deadline).toNanos();
            if (remaining <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(wait, remaining));
        }
        return true;
    }

    /** The breaker of {@code tool} with {@code provider}, created closed (or forced open) on first use. */
    CircuitBreaker breaker(String tool, String provider) {
        return breakers.computeIfAbsent(new Scope(tool, provider), scope -> {
            CircuitBreaker breaker = breakerRegistry.circuitBreaker(tool + "/" + provider, breakerConfig,
                    Map.of("method", tool, "provider", provider, "executor_id", config.executorId()));
            breaker.getEventPublisher().onStateTransition(e -> metrics.breakerTransition(tool, provider,
                    stateName(e.getStateTransition().getFromState()), stateName(e.getStateTransition().getToState())));
            Instant now = Instant.now();
            Instant probeAt = probingFrom.entrySet().stream()
                    .filter(p -> p.getKey().covers(tool, provider) && p.getValue().isAfter(now))
                    .map(Map.Entry::getValue).max(Instant::compareTo).orElse(null);
            if (forcedOpen.stream().anyMatch(f -> f.covers(tool, provider))) {
                breaker.transitionToForcedOpenState();
            } else if (probeAt != null) {
                breaker.transitionToOpenStateUntil(probeAt);
            }
            return breaker;
        });
    }

    /** Forces open the breakers of the scope, including those not created yet. */
    void openBreakers(String tool, String provider) {
        Scope scope = new Scope(tool, provider);
        forcedOpen.add(scope);
        breakers.forEach((s, breaker) -> {
            if (scope.covers(s.tool(), s.provider()) && breaker.getState() != CircuitBreaker.State.FORCED_OPEN) {
                breaker.transitionToForcedOpenState();
            }
        });
    }

    /**
     * Opens the breakers of the scope, including those created within {@code probeAfter}, and lets them
     * probe after that: the first call after it turns a breaker half-open, and the half-open calls close
     * it when they succeed or re-open it when they fail, as for a breaker opened by failures. A breaker
     * forced open stays forced open.
     */
    void openBreakers(String tool, String provider, Duration probeAfter) {
        if (!probeAfter.isPositive()) {
            throw new IllegalArgumentException("probe_after_ms must be > 0, was " + probeAfter.toMillis());
        }
        Scope scope = new Scope(tool, provider);
        Instant probeAt = Instant.now().plus(probeAfter);
        probingFrom.merge(scope, probeAt, (a, b) -> a.isAfter(b) ? a : b);
        probingFrom.values().removeIf(at -> at.isBefore(Instant.now()));
        breakers.forEach((s, breaker) -> {
            if (scope.covers(s.tool(), s.provider()) && breaker.getState() != CircuitBreaker.State.FORCED_OPEN) {
                breaker.transitionToOpenStateUntil(probeAt);
            }
        });
    }

    /** Closes (and resets) the breakers of the scope, whether forced or opened by failures. */
    void closeBreakers(String tool, String provider) {
        Scope scope = new Scope(tool, provider);
        forcedOpen.removeIf(f -> scope.covers(f.tool(), f.provider()));
        probingFrom.keySet().removeIf(p -> scope.covers(p.tool(), p.provider()));
        breakers.forEach((s, breaker) -> {
            if (scope.covers(s.tool(), s.provider()) && forcedOpen.stream().noneMatch(f -> f.covers(s.tool(), s.provider()))) {
                breaker.transitionToClosedState();
            }
        });
    }

    /** Limits {@code provider} (null: every request together) to {@code ratePerSecond}. */
    void throttle(String provider, double ratePerSecond) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate_per_s must be > 0, was " + ratePerSecond);
        }
        String key = provider == null ? ALL : provider;
        limiters.put(key, limiter(key, ratePerSecond));
    }

    /** Restores the configured limit of {@code provider}, or of every provider and the all-requests limit when null. */
    void unthrottle(String provider) {
        if (provider == null) {
            limiters.clear();
            config.providerRates().forEach((p, rate) -> limiters.put(p, limiter(p, rate)));
            return;
        }
        Double configured = config.providerRates().get(provider);
        if (configured == null) {
            limiters.remove(provider);
        } else {
            limiters.put(provider, limiter(provider, configured));
        }
    }

    /** The rate now applied to {@code provider}'s own limiter, or null when unlimited. */
    Double rate(String provider) {
        RateLimiter limiter = limiters.get(Objects.requireNonNull(provider, "provider == null"));
        if (limiter == null) {
            return null;
        }
        RateLimiterConfig c = limiter.getRateLimiterConfig();
        return c.getLimitForPeriod() * 1e9 / c.getLimitRefreshPeriod().toNanos();
    }

    /** Breakers not closed now. */
    int openBreakers() {
        return (int) breakers.values().stream().filter(b -> b.getState() != CircuitBreaker.State.CLOSED).count();
    }

    /** Fine-grained for slow rates (one permit per period), coarser above 10/s to wake waiters less often. */
    static RateLimiter limiter(String name, double ratePerSecond) {
        int permits = ratePerSecond <= 10 ? 1 : (int) Math.round(ratePerSecond / 10);
        long periodNanos = Math.max(1_000, (long) (permits * 1e9 / ratePerSecond));
        return RateLimiter.of("provider-" + name, RateLimiterConfig.custom()
                .limitForPeriod(permits)
                .limitRefreshPeriod(Duration.ofNanos(periodNanos))
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    private static String stateName(CircuitBreaker.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
