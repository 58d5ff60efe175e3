package dev.toolformer.alerts.incident;

import dev.toolformer.schema.AlertEvent;

/**
 * What acts on the executor fleet for the {@code scale_up} and {@code restart_service} incident actions. The
 * all-in-one starts executors in-process; with Kubernetes configured, {@link KubernetesFleet} patches the
 * Deployments; where nothing can act (compose, a standalone alert processor without a cluster), each action is
 * recorded {@code RECOMMENDED} with what an operator should do, never {@code EXECUTED}. Implementations run on
 * a virtual thread and may block.
 */
public interface FleetActions {

    /**
     * Adds executor capacity in response to {@code alert}.
     *
     * @return the outcome and what was done, for the incident record, e.g. "started executor executor-3 (3 of 4)"
     * @throws Exception if it could not; the incident records the action as failed with the message
     */
    ActionResult scaleUp(AlertEvent alert) throws Exception;

    /**
     * Restarts {@code target}: {@code deployment/NAME} (a rollout restart) or {@code pod/NAME} (the pod is
     * deleted and its controller replaces it).
     */
    default ActionResult restart(String target, AlertEvent alert) throws Exception {
        return ActionResult.recommended("nothing here can restart " + target + " (no Kubernetes cluster configured):"
                + " restart it by hand for " + alert.getFingerprint());
    }

    /** Acts on nothing: every action is recorded as a recommendation. */
    static FleetActions recommendationsOnly() {
        return alert -> ActionResult.recommended("no scaler configured (no Kubernetes cluster, not the all-in-one):"
                + " add one executor instance for " + alert.getFingerprint());
    }
}
