package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parses every manifest of {@code deploy/k8s} and checks what the issue and the spec's HA section ask for. */
class K8sManifestsTest {
    private static final Path DIR = Path.of("../deploy/k8s");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Service name → admin port, as in the CLI's defaults and docker-compose.yml. */
    private static final Map<String, Integer> SERVICES = Map.of("executor", 8081, "analytics", 8082, "alert-processor", 8083,
            "dashboard", 8080);
    /** The Kafka Streams applications. */
    private static final Set<String> STREAMS_APPS = Set.of("analytics", "alert-processor");
    private static final String KAFKA_CLIENT_SECRET = "toolformer-kafka-client";
    private static final Pattern SECRET_NAME = Pattern.compile(".*(KEY|TOKEN|SECRET|PASSWORD|WEBHOOK|CREDENTIAL).*");

    static List<JsonNode> docs;

    @BeforeAll
    static void parseEveryManifest() throws IOException {
        docs = new ArrayList<>();
        for (Path file : manifestFiles()) {
            try (var parser = YAML.getFactory().createParser(file.toFile())) {
                for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                        docs.add(doc);
                    }
                }
            }
        }
    }

    @Test
    void shouldListEveryManifestInTheKustomization() throws IOException {
        JsonNode kustomization = YAML.readTree(DIR.resolve("kustomization.yaml").toFile());

        assertThat(kustomization.path("namespace").asText()).isEqualTo("toolformer");
        assertThat(texts(kustomization.path("resources")))
                .containsExactlyInAnyOrderElementsOf(manifestFiles().stream().map(p -> p.getFileName().toString()).toList());
        assertThat(docs).allSatisfy(doc -> {
            assertThat(doc.path("apiVersion").asText()).isNotEmpty();
            assertThat(doc.path("kind").asText()).isNotEmpty();
            assertThat(doc.path("metadata").path("name").asText()).isNotEmpty();
        });
    }

    @Test
    void shouldDeployEachServiceOnItsAdminPortWithItsCommandLine() {
        assertThat(deployments().keySet()).containsExactlyInAnyOrderElementsOf(SERVICES.keySet());
        deployments().forEach((service, d) -> {
            JsonNode c = container(d);
            List<String> args = texts(c.path("args"));
            int port = SERVICES.get(service);
            assertThat(c.has("command")).as("the image's ENTRYPOINT runs the jar").isFalse();
            assertThat(args.getFirst()).isEqualTo(service);
            assertThat(optionValue(args, "--bootstrap-servers")).isEqualTo("$(KAFKA_BOOTSTRAP_SERVERS)");
            assertThat(optionValue(args, "--http-host")).isEqualTo("0.0.0.0");
            assertThat(optionValue(args, "--http-port")).isEqualTo(String.valueOf(port));
            assertThat(c.path("ports").get(0).path("name").asText()).isEqualTo("http");
            assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(port);
            assertThat(texts(c.path("envFrom"), "configMapRef", "name")).contains("toolformer-env");
        });
    }

    @Test
    void shouldProbeReadinessEveryFiveSecondsAndLivenessEveryTen() {
        deployments().forEach((service, d) -> {
            JsonNode c = container(d);
            assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).as(service).isEqualTo("/health/ready");
            assertThat(c.path("readinessProbe").path("httpGet").path("port").asText()).as(service).isEqualTo("http");
            assertThat(c.path("readinessProbe").path("periodSeconds").asInt()).as(service).isEqualTo(5);
            assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).as(service).isEqualTo("/health/live");
            assertThat(c.path("livenessProbe").path("httpGet").path("port").asText()).as(service).isEqualTo("http");
            assertThat(c.path("livenessProbe").path("periodSeconds").asInt()).as(service).isEqualTo(10);
        });
    }

    @Test
    void shouldRequestAndLimitResourcesAsTheSpecsHighAvailabilitySection() {
        deployments().forEach((service, d) -> {
            JsonNode r = container(d).path("resources");
            assertThat(r.path("requests").path("memory").asText()).as(service).isEqualTo("512Mi");
            assertThat(r.path("requests").path("cpu").asText()).as(service).isEqualTo("500m");
            assertThat(r.path("limits").path("memory").asText()).as(service).isEqualTo("1Gi");
            assertThat(r.path("limits").path("cpu").asText()).as(service).isEqualTo("1000m");
        });
    }

    @Test
    void shouldSpreadPodsAcrossNodesAndRollTwoUpOneDown() {
        deployments().forEach((service, d) -> {
            JsonNode podLabels = d.path("spec").path("template").path("metadata").path("labels");
            JsonNode terms = d.path("spec").path("template").path("spec").path("affinity").path("podAntiAffinity")
                    .path("preferredDuringSchedulingIgnoredDuringExecution");
            assertThat(terms.isArray() && !terms.isEmpty()).as(service).isTrue();
            JsonNode byHost = find(terms, t -> t.path("podAffinityTerm").path("topologyKey").asText().equals("kubernetes.io/hostname"));
            assertThat(byHost.path("weight").asInt()).as(service).isEqualTo(100);
            assertThat(matches(byHost.path("podAffinityTerm").path("labelSelector").path("matchLabels"), podLabels)).as(service).isTrue();
            assertThat(matches(d.path("spec").path("selector").path("matchLabels"), podLabels)).as(service).isTrue();

            JsonNode strategy = d.path("spec").path("strategy");
            assertThat(strategy.path("type").asText()).as(service).isEqualTo("RollingUpdate");
            assertThat(strategy.path("rollingUpdate").path("maxSurge").asInt()).as(service).isEqualTo(2);
            assertThat(strategy.path("rollingUpdate").path("maxUnavailable").asInt()).as(service).isEqualTo(1);
        });
    }

    @Test
    void shouldCoverEveryDeploymentWithAPodDisruptionBudget() {
        List<JsonNode> pdbs = ofKind("PodDisruptionBudget");
        deployments().forEach((service, d) -> {
            JsonNode podLabels = d.path("spec").path("template").path("metadata").path("labels");
            List<JsonNode> covering = pdbs.stream()
                    .filter(p -> matches(p.path("spec").path("selector").path("matchLabels"), podLabels)).toList();
            assertThat(covering).as(service).hasSize(1);
            assertThat(covering.getFirst().path("apiVersion").asText()).isEqualTo("policy/v1");
            assertThat(covering.getFirst().path("spec").path("maxUnavailable").asInt()).as(service).isEqualTo(1);
        });
    }

    @Test
    void shouldAutoscaleExecutorsOnExternalLagInFlightAndCpu() {
        List<JsonNode> hpas = ofKind("HorizontalPodAutoscaler");
        assertThat(hpas).hasSize(1);
        JsonNode spec = hpas.getFirst().path("spec");
        assertThat(hpas.getFirst().path("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(spec.path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
        assertThat(spec.path("scaleTargetRef").path("name").asText())
                .isEqualTo(deployments().get("executor").path("metadata").path("name").asText());
        assertThat(spec.path("minReplicas").asInt()).isEqualTo(3);
        assertThat(spec.path("maxReplicas").asInt()).isEqualTo(12);
        JsonNode metrics = spec.path("metrics");
        JsonNode lag = find(metrics, m -> m.path("type").asText().equals("External"));
        assertThat(lag.path("external").path("metric").path("name").asText()).isEqualTo("kafka_consumergroup_lag");
        assertThat(lag.path("external").path("metric").path("selector").path("matchLabels").path("consumergroup").asText())
                .isEqualTo("toolformer-executor");
        assertThat(lag.path("external").path("target").path("type").asText()).isEqualTo("AverageValue");
        JsonNode inFlight = find(metrics, m -> m.path("type").asText().equals("Pods"));
        assertThat(inFlight.path("pods").path("metric").path("name").asText()).isEqualTo("toolformer_executor_in_flight");
        JsonNode cpu = find(metrics, m -> m.path("type").asText().equals("Resource"));
        assertThat(cpu.path("resource").path("name").asText()).isEqualTo("cpu");
        assertThat(cpu.path("resource").path("target").path("averageUtilization").asInt()).isEqualTo(70);
        assertThat(deployments().get("executor").path("spec").has("replicas"))
                .as("the HPA owns the executor's replica count").isFalse();
    }

    @Test
    void shouldTakeApiKeysAndWebhooksOnlyFromSecrets() {
        assertThat(ofKind("Secret")).as("no secret values are committed").isEmpty();
        List<String> fromSecrets = new ArrayList<>();
        deployments().forEach((service, d) -> {
            for (JsonNode env : container(d).path("env")) {
                String name = env.path("name").asText();
                if (SECRET_NAME.matcher(name).matches()) {
                    assertThat(env.has("value")).as(service + " " + name).isFalse();
                    assertThat(env.path("valueFrom").path("secretKeyRef").path("name").asText()).as(service + " " + name)
                            .isEqualTo("toolformer-secrets");
                    fromSecrets.add(name);
                }
            }
        });
        assertThat(fromSecrets).contains("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOOLFORMER_ONCALL_SLACK_WEBHOOK");
        for (JsonNode cm : ofKind("ConfigMap")) {
            cm.path("data").fieldNames().forEachRemaining(key ->
                    assertThat(key).as("ConfigMap " + cm.path("metadata").path("name").asText()).doesNotMatch(SECRET_NAME));
        }
    }

    @Test
    void shouldMountConfigFilesTheServicesAreGiven() {
        Map<String, JsonNode> configMaps = new HashMap<>();
        ofKind("ConfigMap").forEach(cm -> configMaps.put(cm.path("metadata").path("name").asText(), cm));
        deployments().forEach((service, d) -> {
            JsonNode pod = d.path("spec").path("template").path("spec");
            JsonNode c = container(d);
            texts(c.path("envFrom"), "configMapRef", "name").forEach(name -> assertThat(configMaps).containsKey(name));
            Map<String, JsonNode> volumes = new HashMap<>();
            pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
            for (JsonNode mount : c.path("volumeMounts")) {
                assertThat(volumes).as(service).containsKey(mount.path("name").asText());
                JsonNode volume = volumes.get(mount.path("name").asText());
                if (volume.has("configMap")) {
                    JsonNode cm = configMaps.get(volume.path("configMap").path("name").asText());
                    assertThat(cm).as(service + " mounts an existing ConfigMap").isNotNull();
                    String dir = mount.path("mountPath").asText() + "/";
                    texts(c.path("args")).stream().filter(a -> a.startsWith(dir))
                            .forEach(a -> assertThat(cm.path("data").has(a.substring(dir.length()))).as(service + " " + a).isTrue());
                }
            }
        });
        assertThat(optionValue(texts(container(deployments().get("executor")).path("args")), "--pricing"))
                .isEqualTo("/etc/toolformer/pricing.yaml");
        assertThat(optionValue(texts(container(deployments().get("alert-processor")).path("args")), "--rules"))
                .isEqualTo("/etc/toolformer/rules.yaml");
    }

    @Test
    void shouldCarryTheConfigFilesUnchanged() throws IOException {
        JsonNode data = find(ofKind("ConfigMap"), cm -> cm.path("metadata").path("name").asText().equals("toolformer-config"))
                .path("data");
        String hint = "deploy/k8s/config.yaml differs from config/: run deploy/k8s/sync-config.sh";
        assertThat(data.path("pricing.yaml").asText()).as(hint).isEqualTo(Files.readString(Path.of("../config/pricing.yaml")));
        assertThat(data.path("rules.yaml").asText()).as(hint).isEqualTo(Files.readString(Path.of("../config/alerts/rules.yaml")));
    }

    @Test
    void shouldGrantTheAlertProcessorExactlyWhatItsKubernetesIncidentActionsNeed() {
        JsonNode role = ofKind("Role").getFirst();
        List<String> rules = new ArrayList<>();
        role.path("rules").forEach(r -> rules.add(texts(r.path("apiGroups")) + " " + texts(r.path("resources")) + " "
                + texts(r.path("verbs"))));
        assertThat(rules).containsExactlyInAnyOrder(
                "[apps] [deployments] [get, patch]",
                "[autoscaling] [horizontalpodautoscalers] [get, list, patch]",
                "[] [pods] [get, delete]");
        JsonNode binding = ofKind("RoleBinding").getFirst();
        assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(role.path("metadata").path("name").asText());
        String account = ofKind("ServiceAccount").getFirst().path("metadata").path("name").asText();
        assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo(account);

        deployments().forEach((service, d) -> {
            JsonNode pod = d.path("spec").path("template").path("spec");
            if (service.equals("alert-processor")) {
                assertThat(pod.path("serviceAccountName").asText()).isEqualTo(account);
                assertThat(texts(container(d).path("args"))).containsSequence("--kubernetes-executor-deployment",
                        deployments().get("executor").path("metadata").path("name").asText());
            } else {
                assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).as(service).isFalse();
            }
        });
    }

    @Test
    void shouldTellEachAnalyticsPodsPeersWhereItsApiIsAndKeepStandbyCopiesOfTheStreamsStores() {
        JsonNode analytics = container(deployments().get("analytics"));
        JsonNode podIp = find(analytics.path("env"), e -> e.path("name").asText().equals("POD_IP"));
        assertThat(podIp.path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("status.podIP");
        assertThat(optionValue(texts(analytics.path("args")), "--application-server"))
                .isEqualTo("$(POD_IP):" + SERVICES.get("analytics"));
        assertThat(deployments().get("analytics").path("spec").path("replicas").asInt()).isGreaterThan(1);
        for (String app : STREAMS_APPS) {
            assertThat(texts(container(deployments().get(app)).path("args"))).as(app)
                    .containsSequence("--kafka-property", "num.standby.replicas=1");
        }
    }

    @Test
    void shouldRunInProductionWithJsonLogsTracesNamedByServiceAndKafkaSettingsFromASecret() {
        JsonNode env = find(ofKind("ConfigMap"), cm -> cm.path("metadata").path("name").asText().equals("toolformer-env"))
                .path("data");
        assertThat(env.path("TOOLFORMER_ENV").asText()).isEqualTo("production");
        assertThat(env.has("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")).isTrue();
        List<JsonNode> pods = new ArrayList<>(ofKind("Deployment"));
        pods.addAll(ofKind("Job"));
        assertThat(pods).hasSize(SERVICES.size() + 1);
        for (JsonNode workload : pods) {
            String name = workload.path("metadata").path("name").asText();
            JsonNode pod = workload.path("spec").path("template").path("spec");
            JsonNode c = container(workload);
            List<String> args = texts(c.path("args"));
            assertThat(optionValue(args, "--log-format")).as(name).isEqualTo("json");
            String kafkaConfig = optionValue(args, "--kafka-config");
            JsonNode mount = find(c.path("volumeMounts"), m -> kafkaConfig.startsWith(m.path("mountPath").asText() + "/"));
            JsonNode volume = find(pod.path("volumes"), v -> v.path("name").asText().equals(mount.path("name").asText()));
            assertThat(volume.path("secret").path("secretName").asText()).as(name).isEqualTo(KAFKA_CLIENT_SECRET);
            if (workload.path("kind").asText().equals("Deployment")) {
                JsonNode service = find(c.path("env"), e -> e.path("name").asText().equals("OTEL_SERVICE_NAME"));
                assertThat(service.path("value").asText()).isEqualTo(name);
            }
        }
    }

    @Test
    void shouldCreateTheTopicsWithAJobWithAtLeastAsManyPartitionsAsExecutors() {
        JsonNode job = ofKind("Job").getFirst();
        List<String> args = texts(container(job).path("args"));
        assertThat(args.subList(0, 2)).containsExactly("topics", "--create");
        assertThat(Integer.parseInt(optionValue(args, "--partitions")))
                .isGreaterThanOrEqualTo(ofKind("HorizontalPodAutoscaler").getFirst().path("spec").path("maxReplicas").asInt());
        assertThat(Integer.parseInt(optionValue(args, "--replication-factor"))).isGreaterThanOrEqualTo(3);
        assertThat(job.path("spec").path("template").path("spec").path("restartPolicy").asText()).isEqualTo("OnFailure");
    }

    @Test
    void shouldScrapeEveryServiceAndCarryThePrometheusRulesForThePrometheusOperator() throws IOException {
        Path monitoring = DIR.resolve("monitoring");
        JsonNode kustomization = YAML.readTree(monitoring.resolve("kustomization.yaml").toFile());
        assertThat(texts(kustomization.path("resources"))).containsExactlyInAnyOrder("pod-monitor.yaml",
                "prometheus-rule.yaml");
        JsonNode podMonitor = YAML.readTree(monitoring.resolve("pod-monitor.yaml").toFile());
        assertThat(podMonitor.path("kind").asText()).isEqualTo("PodMonitor");
        JsonNode endpoint = podMonitor.path("spec").path("podMetricsEndpoints").get(0);
        assertThat(endpoint.path("port").asText()).isEqualTo("http");
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
        List<String> components = texts(podMonitor.path("spec").path("selector").path("matchExpressions").get(0)
                .path("values"));
        deployments().forEach((service, d) -> {
            JsonNode labels = d.path("spec").path("template").path("metadata").path("labels");
            assertThat(components).as(service).contains(labels.path("app.kubernetes.io/component").asText());
            assertThat(container(d).path("ports").get(0).path("name").asText()).isEqualTo("http");
        });

        JsonNode rule = YAML.readTree(monitoring.resolve("prometheus-rule.yaml").toFile());
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(rule.path("spec")).as("deploy/k8s/monitoring/prometheus-rule.yaml differs from"
                + " config/monitoring/alert-rules.yml: run deploy/k8s/sync-config.sh")
                .isEqualTo(YAML.readTree(MonitoringFiles.RULES.toFile()));
    }

    private static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted().toList();
        }
    }

    private static List<JsonNode> ofKind(String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    /** Deployments by the service their container runs (its first argument). */
    private static Map<String, JsonNode> deployments() {
        Map<String, JsonNode> out = new HashMap<>();
        ofKind("Deployment").forEach(d -> out.put(container(d).path("args").get(0).asText(), d));
        return out;
    }

    private static JsonNode container(JsonNode deployment) {
        JsonNode containers = deployment.path("spec").path("template").path("spec").path("containers");
        assertThat(containers.size()).as(deployment.path("metadata").path("name").asText()).isEqualTo(1);
        return containers.get(0);
    }

    private static JsonNode find(JsonNode array, Predicate<JsonNode> test) {
        List<JsonNode> nodes = new ArrayList<>();
        array.forEach(nodes::add);
        return find(nodes, test);
    }

    private static JsonNode find(List<JsonNode> nodes, Predicate<JsonNode> test) {
        List<JsonNode> found = nodes.stream().filter(test).toList();
        assertThat(found).hasSize(1);
        return found.getFirst();
    }

    /** Whether every label of {@code selector} is on {@code labels} (and there is at least one). */
    private static boolean matches(JsonNode selector, JsonNode labels) {
        Set<String> keys = new HashSet<>();
        selector.fieldNames().forEachRemaining(keys::add);
        return !keys.isEmpty() && keys.stream().allMatch(k -> selector.path(k).asText().equals(labels.path(k).asText()));
    }

    private static String optionValue(List<String> args, String option) {
        int i = args.indexOf(option);
        assertThat(i).as(option + " in " + args).isNotNegative();
        return args.get(i + 1);
    }

    private static List<String> texts(JsonNode array, String... path) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            for (String p : path) {
                n = n.path(p);
            }
            if (!n.isMissingNode()) {
                out.add(n.asText());
            }
        }
        return out;
    }
}
