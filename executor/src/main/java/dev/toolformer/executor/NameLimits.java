package dev.toolformer.executor;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.toolformer.common.pricing.Pricing;

/**
 * Bounds the tool, provider and model names that come from requests before they become metric labels,
 * circuit breakers, result fields and analytics groups: untrusted input must not grow memory or
 * Prometheus without bound. Known names pass unchanged (registered tools; providers and models of the
 * price table and of the configured rate limits); so do the first {@code executor.max-unknown-names}
 * other providers and models this instance sees (each kind counted apart); every further one is
 * reported as {@value #OTHER}, and counted. An unknown tool (its request is REJECTED) is always
 * {@value #OTHER}. The tool itself is still called with the request's own names, and a rejection's
 * message still quotes them. Thread-safe.
 */
final class NameLimits {
    /** The name that stands for every name past the limit. */
    static final String OTHER = "other";

    private final Set<String> tools;
    private final Bounded providers;
    private final Bounded models;
    private final ExecutorMetrics metrics;

    NameLimits(ToolRegistry tools, Pricing pricing, ExecutorConfig config, ExecutorMetrics metrics) {
        this.tools = Set.copyOf(tools.names());
        Set<String> knownProviders = new HashSet<>(pricing.providers());
        knownProviders.addAll(config.providerRates().keySet());
        this.providers = new Bounded(knownProviders, config.maxUnknownNames());
        this.models = new Bounded(pricing.models(), config.maxUnknownNames());
        this.metrics = metrics;
    }

    String tool(String name) {
        if (tools.contains(name)) {
            return name;
        }
        metrics.nameOverflowed("tool");
        return OTHER;
    }

    String provider(String name) {
        return bounded(providers, name, "provider");
    }

    String model(String name) {
        return bounded(models, name, "model");
    }

    private String bounded(Bounded names, String name, String kind) {
        if (names.admits(name)) {
            return name;
        }
        metrics.nameOverflowed(kind);
        return OTHER;
    }

    /** Known names, and the first {@code max} others seen. */
    private static final class Bounded {
        private final Set<String> known;
        private final int max;
        private final Set<String> admitted = ConcurrentHashMap.newKeySet();

        Bounded(Set<String> known, int max) {
            this.known = Set.copyOf(known);
            this.max = max;
        }

        boolean admits(String name) {
            if (name == null || name.isEmpty() || known.contains(name) || admitted.contains(name)) {
                return true;
            }
            synchronized (this) {
                if (admitted.size() < max) {
                    admitted.add(name);
                    return true;
                }
            }
            return false;
        }
    }
}
