package dev.toolformer.alerts.incident;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incident actions on a Kubernetes cluster, through the API server (fabric8 kubernetes-client):
 * <ul>
 * <li>{@code scale_up}: one more executor replica. Where a HorizontalPodAutoscaler targets the executor
 *     Deployment (as in {@code deploy/k8s}), the HPA owns the replica count and would undo a patch of the
 *     Deployment within seconds, so its {@code minReplicas} is raised instead (to one above the replicas running
 *     now); otherwise the Deployment's {@code spec.replicas} is patched. Either way the new count never exceeds
 *     {@code maxExecutors}, the HPA's {@code maxReplicas}, nor the partitions of {@code toolformer.requests}
 *     (an executor beyond them gets no partition). The patch is a JSON Patch with a {@code test} of the value
 *     read, so two alert processors scaling at once cannot both add "one more" from the same count.</li>
 * <li>{@code restart_service}: {@code deployment/NAME} is restarted the way {@code kubectl rollout restart}
 *     does (a new {@code kubectl.kubernetes.io/restartedAt} annotation on the pod template); {@code pod/NAME}
 *     is deleted, and its controller replaces it.</li>
 * </ul>
 * The RBAC this needs is in {@code deploy/k8s/rbac.yaml}, and nothing more.
 */
public final class KubernetesFleet implements FleetActions, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesFleet.class);
    static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

    private final KubernetesClient client;
    private final String namespace;
    private final String executorDeployment;
    private final int maxExecutors;
    private final IntSupplier requestPartitions;

    /**
     * @param client             a client of the cluster (closed with this fleet)
     * @param namespace          where the Deployments and pods are
     * @param executorDeployment the executor Deployment's name, e.g. {@code toolformer-executor}
     * @param maxExecutors       the most executor replicas scale_up may ask for
     * @param requestPartitions  the partition count of {@code toolformer.requests}, read when scaling
     */
    public KubernetesFleet(KubernetesClient client, String namespace, String executorDeployment, int maxExecutors,
                           IntSupplier requestPartitions) {
        this.client = Objects.requireNonNull(client, "client == null");
        this.namespace = Objects.requireNonNull(namespace, "namespace == null");
        this.executorDeployment = Objects.requireNonNull(executorDeployment, "executorDeployment == null");
        if (maxExecutors < 1) {
            throw new IllegalArgumentException("max executors must be >= 1, was " + maxExecutors);
        }
        this.maxExecutors = maxExecutors;
        this.requestPartitions = Objects.requireNonNull(requestPartitions, "requestPartitions == null");
    }

    /**
     * A fleet acting through the cluster this process runs in (its service account's token and namespace, or
     * the {@code KUBECONFIG} / {@code ~/.kube/config} context outside a pod), reading the partition count of
     * {@code toolformer.requests} from {@code kafka} at each scale_up.
     */
    public static KubernetesFleet inCluster(String executorDeployment, int maxExecutors, KafkaSettings kafka) {
        KubernetesClient client = new KubernetesClientBuilder().build();
        String namespace = client.getNamespace();
        if (namespace == null || namespace.isBlank()) {
            client.close();
            throw new IllegalArgumentException("no Kubernetes namespace for the incident actions: run in a pod with"
                    + " a service account, or set one in the kubeconfig context");
        }
        LOG.info("Kubernetes incident actions on {} ({}), executor Deployment {}, at most {} executors",
                client.getMasterUrl(), namespace, executorDeployment, maxExecutors);
        return new KubernetesFleet(client, namespace, executorDeployment, maxExecutors,
                () -> partitionsOf(kafka, Topics.REQUESTS.name()));
    }

    private static int partitionsOf(KafkaSettings kafka, String topic) {
        try (Admin admin = Admin.create(kafka.admin())) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the partitions of " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the partitions of " + topic + " to bound scale_up: " + e, e);
        }
    }

    @Override
    public ActionResult scaleUp(AlertEvent alert) {
        Deployment deployment = client.apps().deployments().inNamespace(namespace).withName(executorDeployment).get();
        if (deployment == null) {
            throw new IllegalStateException("no Deployment " + namespace + "/" + executorDeployment + " to scale up");
        }
        int running = Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(1);
        int partitions = requestPartitions.getAsInt();
        Optional<HorizontalPodAutoscaler> hpa = autoscalerOf(executorDeployment);
        int cap = Math.min(maxExecutors, partitions);
        if (hpa.isPresent()) {
            cap = Math.min(cap, hpa.get().getSpec().getMaxReplicas());
        }
        if (running >= cap) {
            throw new IllegalStateException(namespace + "/" + executorDeployment + " already runs " + running
                    + " replicas, the most scale_up may ask for (the least of max executors " + maxExecutors + ", the "
                    + partitions + " partitions of toolformer.requests" + hpa.map(h -> " and HPA " + h.getMetadata()
                    .getName() + "'s maxReplicas " + h.getSpec().getMaxReplicas()).orElse("") + ")");
        }
        int target = running + 1;
        String detail;
        if (hpa.isPresent()) {
            HorizontalPodAutoscaler h = hpa.get();
            Integer min = h.getSpec().getMinReplicas();
            int newMin = Math.max(target, min == null ? 1 : min);
            client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(namespace)
                    .withName(h.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), testAndReplace("/spec/minReplicas", min, newMin));
            detail = "raised HPA " + namespace + "/" + h.getMetadata().getName() + " minReplicas "
                    + (min == null ? 1 : min) + " -> " + newMin + " (it owns the replicas of " + executorDeployment
                    + ", " + running + " now) for " + alert.getFingerprint();
        } else {
            client.apps().deployments().inNamespace(namespace).withName(executorDeployment)
                    .patch(PatchContext.of(PatchType.JSON), testAndReplace("/spec/replicas",
                            deployment.getSpec().getReplicas(), target));
            detail = "scaled Deployment " + namespace + "/" + executorDeployment + " " + running + " -> " + target
                    + " replicas (at most " + cap + ") for " + alert.getFingerprint();
        }
        LOG.info("scale_up: {}", detail);
        return ActionResult.executed(detail);
    }

    @Override
    public ActionResult restart(String target, AlertEvent alert) {
        int slash = target.indexOf('/');
        String kind = slash < 0 ? "" : target.substring(0, slash);
        String name = target.substring(slash + 1);
        String detail;
        switch (kind) {
            case "deployment" -> {
                if (client.apps().deployments().inNamespace(namespace).withName(name).get() == null) {
                    throw new IllegalStateException("no Deployment " + namespace + "/" + name + " to restart");
                }
                client.apps().deployments().inNamespace(namespace).withName(name).rolling().restart();
                detail = "rollout restart of Deployment " + namespace + "/" + name + " for " + alert.getFingerprint();
            }
            case "pod" -> {
                List<?> deleted = client.pods().inNamespace(namespace).withName(name).delete();
                if (deleted.isEmpty()) {
                    throw new IllegalStateException("no pod " + namespace + "/" + name + " to restart");
                }
                detail = "deleted pod " + namespace + "/" + name + " (its controller replaces it) for "
                        + alert.getFingerprint();
            }
            default -> throw new IllegalArgumentException("restart target must be deployment/NAME or pod/NAME, was "
                    + target);
        }
        LOG.info("restart_service: {}", detail);
        return ActionResult.executed(detail);
    }

    /** The HorizontalPodAutoscaler of {@code deployment}, if one targets it. */
    private Optional<HorizontalPodAutoscaler> autoscalerOf(String deployment) {
        try {
            return client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(namespace).list().getItems()
                    .stream()
                    .filter(h -> h.getSpec().getScaleTargetRef() != null
                            && "Deployment".equals(h.getSpec().getScaleTargetRef().getKind())
                            && deployment.equals(h.getSpec().getScaleTargetRef().getName()))
                    .findFirst();
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot list the HorizontalPodAutoscalers of " + namespace + ": "
                    + e.getMessage(), e);
        }
    }

    /** A JSON Patch that sets {@code path} to {@code value} only if it still holds {@code expected}. */
    private static String testAndReplace(String path, Integer expected, int value) {
        if (expected == null) {
            return "[{\"op\":\"add\",\"path\":\"" + path + "\",\"value\":" + value + "}]";
        }
        return "[{\"op\":\"test\",\"path\":\"" + path + "\",\"value\":" + expected + "},"
                + "{\"op\":\"replace\",\"path\":\"" + path + "\",\"value\":" + value + "}]";
    }

    @Override
    public void close() {
        client.close();
    }
}
