package dev.toolformer.producer;

/**
 * What the synthetic load looks like.
 *
 * @param echoShare          share of requests to the {@code echo} tool (the rest go to {@code simulated})
 * @param speculativeShare   share of requests marked speculative
 * @param speculationHitRate probability that the synthetic agent uses the result of a speculative request (a hit);
 *                           otherwise it reports a miss
 * @param failureRate        probability that a simulated call fails (injected errors)
 * @param timeoutRate        probability that a simulated call sleeps past its deadline
 * @param meanLatencyMs      mean latency of a simulated call (log-normal around it)
 * @param timeoutMs          deadline given to every request
 * @param seed               seed of the generator, so a run can be repeated
 */
public record LoadProfile(double echoShare, double speculativeShare, double speculationHitRate, double failureRate,
                          double timeoutRate, long meanLatencyMs, long timeoutMs, long seed) {
    /** Three speculative calls in four turn out to be needed: a good but not perfect predictor. */
    public static final double DEFAULT_SPECULATION_HIT_RATE = 0.75;

    public LoadProfile {
        requireRatio("echo-share", echoShare);
        requireRatio("speculative-share", speculativeShare);
        requireRatio("speculation-hit-rate", speculationHitRate);
        requireRatio("failure-rate", failureRate);
        requireRatio("timeout-rate", timeoutRate);
        if (meanLatencyMs < 0) {
            throw new IllegalArgumentException("mean-latency-ms must be >= 0, was " + meanLatencyMs);
        }
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("timeout-ms must be > 0, was " + timeoutMs);
        }
    }

    /** A profile whose speculation hit rate is {@value #DEFAULT_SPECULATION_HIT_RATE}. */
    public LoadProfile(double echoShare, double speculativeShare, double failureRate, double timeoutRate,
                       long meanLatencyMs, long timeoutMs, long seed) {
        this(echoShare, speculativeShare, DEFAULT_SPECULATION_HIT_RATE, failureRate, timeoutRate, meanLatencyMs,
                timeoutMs, seed);
    }

    /**
     * A realistic, healthy mix: 20 % echo, 20 % speculative of which 75 % are used, 0.5 % failures, 0.1 %
     * timeouts, ~120 ms calls; below the 1 % error-rate alert, so that an injected incident stands out.
     */
    public static LoadProfile defaults() {
        return new LoadProfile(0.2, 0.2, DEFAULT_SPECULATION_HIT_RATE, 0.005, 0.001, 120, 5_000, 42);
    }

    /** This profile with another speculation hit rate. */
    public LoadProfile withSpeculationHitRate(double value) {
        return new LoadProfile(echoShare, speculativeShare, value, failureRate, timeoutRate, meanLatencyMs, timeoutMs,
                seed);
    }

    private static void requireRatio(String key, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(key + " must be between 0 and 1, was " + value);
        }
    }
}
