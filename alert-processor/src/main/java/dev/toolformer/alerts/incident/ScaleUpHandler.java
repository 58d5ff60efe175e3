package dev.toolformer.alerts.incident;

import dev.toolformer.schema.AlertEvent;

/**
 * Adds executor capacity for the {@code scale_up} incident action. The all-in-one starts one more
 * executor in-process; a Kubernetes deployment patches the executor Deployment's replicas. It runs on a
 * virtual thread and may block.
 */
@FunctionalInterface
public interface ScaleUpHandler {

    /**
     * Adds capacity in response to {@code alert}.
     *
     * @return what was done, for the incident record, e.g. "started executor executor-3 (3 of 4)"
     * @throws Exception if it could not; the incident records the action as failed with the message
     */
    String scaleUp(AlertEvent alert) throws Exception;

    /** Scales nothing: the incident records a recommendation to add an executor instance. */
    static ScaleUpHandler recommendation() {
        return alert -> "recommendation only (no scaler configured): add one executor instance for "
                + alert.getFingerprint();
    }
}
