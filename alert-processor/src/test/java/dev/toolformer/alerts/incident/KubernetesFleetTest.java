package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import dev.toolformer.alerts.Records;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link KubernetesFleet} against fabric8's mock API server in CRUD mode: real HTTP, real API paths and patches. */
class KubernetesFleetTest {
    private static final String NS = "toolformer";
    private static final String EXECUTOR = "toolformer-executor";
    private static final AlertEvent ALERT = Records.alert("HighErrorRate", Map.of("tool", "t", "provider", "p"),
            AlertState.FIRING, Instant.parse("2026-03-01T12:00:00Z"), Instant.parse("2026-03-01T12:00:00Z"));

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void startServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stopServer() {
        client.close();
        server.destroy();
    }

    @Test
    void shouldPatchTheExecutorDeploymentsReplicasUpByOne() {
        deployment(EXECUTOR, 2);

        ActionResult result = fleet(10, 6).scaleUp(ALERT);

        assertThat(replicas(EXECUTOR)).isEqualTo(3);
        assertThat(result.outcome()).isEqualTo(ActionOutcome.EXECUTED);
        assertThat(result.detail()).startsWith("scaled Deployment toolformer/toolformer-executor 2 -> 3 replicas");
    }

    @Test
    void shouldNeverScaleAboveThePartitionsOfTheRequestTopic() {
        deployment(EXECUTOR, 6);

        assertThatIllegalStateException().isThrownBy(() -> fleet(10, 6).scaleUp(ALERT))
                .withMessageContaining("already runs 6 replicas").withMessageContaining("the 6 partitions");
        assertThat(replicas(EXECUTOR)).isEqualTo(6);
    }

    @Test
    void shouldNeverScaleAboveTheConfiguredMaximum() {
        deployment(EXECUTOR, 4);

        assertThatIllegalStateException().isThrownBy(() -> fleet(4, 12).scaleUp(ALERT))
                .withMessageContaining("max executors 4");
        assertThat(replicas(EXECUTOR)).isEqualTo(4);
    }

    @Test
    void shouldRaiseTheMinReplicasOfTheAutoscalerThatOwnsTheDeployment() {
        deployment(EXECUTOR, 3);
        client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(
                new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(EXECUTOR).endMetadata()
                .withNewSpec().withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment")
                .withName(EXECUTOR).endScaleTargetRef().withMinReplicas(3).withMaxReplicas(12).endSpec()
                .build()).create();

        ActionResult result = fleet(10, 12).scaleUp(ALERT);

        assertThat(client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName(EXECUTOR).get()
                .getSpec().getMinReplicas()).isEqualTo(4);
        // The HPA owns the count: the Deployment is left to it.
        assertThat(replicas(EXECUTOR)).isEqualTo(3);
        assertThat(result.detail()).startsWith("raised HPA toolformer/toolformer-executor minReplicas 3 -> 4");
    }

    @Test
    void shouldRestartADeploymentAsKubectlRolloutRestartDoes() {
        deployment("toolformer-analytics", 2);

        ActionResult result = fleet(10, 6).restart("deployment/toolformer-analytics", ALERT);

        assertThat(client.apps().deployments().inNamespace(NS).withName("toolformer-analytics").get().getSpec()
                .getTemplate().getMetadata().getAnnotations()).containsKey(KubernetesFleet.RESTARTED_AT);
        assertThat(result.outcome()).isEqualTo(ActionOutcome.EXECUTED);
    }

    @Test
    void shouldDeleteANamedPodAndSaySoWhenThereIsNone() {
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("executor-abc")
                .endMetadata().build()).create();

        fleet(10, 6).restart("pod/executor-abc", ALERT);

        assertThat(client.pods().inNamespace(NS).withName("executor-abc").get()).isNull();
        assertThatIllegalStateException().isThrownBy(() -> fleet(10, 6).restart("pod/executor-abc", ALERT))
                .withMessage("no pod toolformer/executor-abc to restart");
    }

    private KubernetesFleet fleet(int max, int partitions) {
        return new KubernetesFleet(client, NS, EXECUTOR, max, () -> partitions);
    }

    private void deployment(String name, int replicas) {
        Deployment deployment = new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewTemplate().withNewMetadata()
                .addToLabels("app", name).endMetadata().endTemplate().endSpec().build();
        client.apps().deployments().inNamespace(NS).resource(deployment).create();
    }

    private int replicas(String name) {
        return client.apps().deployments().inNamespace(NS).withName(name).get().getSpec().getReplicas();
    }
}
