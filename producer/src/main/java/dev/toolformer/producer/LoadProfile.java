package dev.toolformer.producer;

/**
 * What the synthetic load looks like.
 *
 * @param echoShare          share of requests to the {@code echo} tool (the rest go to {@code simulated})
 * @param speculativeShare   share of requests marked speculative
 * @param failureRate        probability that a simulated call fails (injected errors)
 * @param timeoutRate        probability that a simulated call sleeps past its deadline
 * @param meanLatencyMs      mean latency of a simulated call (log-normal around it)
 * @param timeoutMs          deadline given to every request
 * @param seed               seed of the generator, so a run can be repeated
 */
public record LoadProfile(double echoShare, double speculativeShare, double failureRate, double timeoutRate,
                          long meanLatencyMs, long timeoutMs, long seed) {

    public LoadProfile {
        requireRatio("echo-share", echoShare);
        requireRatio("speculative-share", speculativeShare);
        requireRatio("failure-rate", failureRate);
        requireRatio("timeout-rate", timeoutRate);
        if (meanLatencyMs < 0) {
            throw new IllegalArgumentException("mean-latency-ms must be >= 0, was " + meanLatencyMs);
        }
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("timeout-ms must be > 0, was " + timeoutMs);
        }
    }

    /**
     * A realistic, healthy mix: 20 % echo, 20 % speculative, 0.5 % failures, 0.1 % timeouts, ~120 ms
     * calls; below the 1 % error-rate alert, so that an injected incident stands out.
     */
    public static LoadProfile defaults() {
        return new LoadProfile(0.2, 0.2, 0.005, 0.001, 120, 5_000, 42);
    }

    private static void requireRatio(String key, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(key + " must be between 0 and 1, was " + value);
        }
    }
}
