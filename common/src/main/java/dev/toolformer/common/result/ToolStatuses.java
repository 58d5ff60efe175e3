package dev.toolformer.common.result;

import dev.toolformer.schema.ToolStatus;

/** What a result's status says beyond its name: the one place that classifies statuses for every service. */
public final class ToolStatuses {
    private ToolStatuses() {
    }

    /**
     * False for REJECTED (the client's mistake) and UNAVAILABLE (breaker open, throttled): such calls never
     * reached a provider and cost nothing, so cost per request leaves them out.
     */
    public static boolean reachedProvider(ToolStatus status) {
        return switch (status) {
            case REJECTED, UNAVAILABLE -> false;
            case SUCCESS, ERROR, TIMEOUT, CANCELLED -> true;
        };
    }
}
