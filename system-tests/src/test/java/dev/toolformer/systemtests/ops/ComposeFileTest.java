package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Parses {@code docker-compose.yml} as Compose would (SnakeYAML resolves the {@code <<: *service}
 * merge keys, which Jackson's YAML reader leaves as a literal {@code <<} field) and checks its services.
 */
class ComposeFileTest {
    private static final Map<String, Integer> SERVICES = Map.of("executor", 8081, "analytics", 8082, "alert-processor", 8083);
    private static final Map<String, String> MONITORING = Map.of("prometheus", "prom/prometheus", "grafana",
            "grafana/grafana", "jaeger", "jaegertracing/all-in-one", "node-exporter", "prom/node-exporter",
            "alertmanager", "prom/alertmanager");
    private static final Map<String, Integer> HEALTH_PORTS = Map.of("prometheus", 9090, "grafana", 3000, "jaeger", 14269,
            "node-exporter", 9100, "alertmanager", 9093);
    private static final Set<String> TOP_LEVEL = Set.of("name", "services", "volumes", "networks", "configs", "secrets");

    static Map<String, Object> compose;

    @BeforeAll
    static void parse() throws IOException {
        try (Reader in = Files.newBufferedReader(Path.of("../docker-compose.yml"))) {
            compose = new Yaml(new LoaderOptions()).load(in);
        }
    }

    @Test
    void shouldUseOnlyComposeTopLevelKeys() {
        assertThat(compose.keySet()).allMatch(k -> TOP_LEVEL.contains(k) || k.startsWith("x-"), "a Compose top-level key");
        assertThat(services().keySet()).contains("kafka", "topics").containsAll(SERVICES.keySet())
                .containsAll(MONITORING.keySet());
        services().forEach((name, s) -> assertThat(s.containsKey("image") || s.containsKey("build")).as(name).isTrue());
    }

    @Test
    void shouldRunEachServiceAgainstTheBrokerOnItsAdminPort() {
        SERVICES.forEach((name, port) -> {
            Map<String, Object> s = service(name);
            List<String> command = strings(s.get("command"));
            assertThat(command.getFirst()).as(name).isEqualTo(name);
            assertThat(command.get(command.indexOf("--bootstrap-servers") + 1)).as(name).isEqualTo("kafka:19092");
            assertThat(command.get(command.indexOf("--http-host") + 1)).as(name).isEqualTo("0.0.0.0");
            assertThat(command.get(command.indexOf("--http-port") + 1)).as(name).isEqualTo(String.valueOf(port));
            assertThat(s.get("image")).as(name + " uses the one image").isEqualTo("toolformer:dev");
            assertThat(String.join(" ", strings(map(s, "healthcheck").get("test"))))
                    .as(name + " health check").contains("/dev/tcp/127.0.0.1/" + port).contains("/health/ready");
        });
    }

    @Test
    void shouldRunTwoExecutors() {
        assertThat(map(service("executor"), "deploy").get("replicas")).isEqualTo(2);
        assertThat(service("executor").containsKey("ports"))
                .as("replicas cannot share a published host port").isFalse();
    }

    @Test
    void shouldStartServicesOnlyOnceTheBrokerIsHealthyAndTheTopicsExist() {
        assertThat(map(service("kafka"), "healthcheck")).containsKeys("test", "interval", "retries");
        assertThat(map(map(service("topics"), "depends_on"), "kafka").get("condition")).isEqualTo("service_healthy");
        assertThat(strings(service("topics").get("command"))).containsSubsequence("topics", "--create");
        SERVICES.keySet().forEach(name -> {
            assertThat(map(service(name), "healthcheck")).as(name).containsKeys("test", "interval", "timeout", "retries");
            assertThat(map(map(service(name), "depends_on"), "topics").get("condition")).as(name)
                    .isEqualTo("service_completed_successfully");
        });
    }

    @Test
    void shouldRunPrometheusGrafanaAndJaegerWithHealthChecksOnTheirPorts() {
        MONITORING.forEach((name, image) -> {
            Map<String, Object> s = service(name);
            assertThat(String.valueOf(s.get("image"))).as(name).startsWith(image + ":");
            Map<String, Object> healthcheck = map(s, "healthcheck");
            assertThat(healthcheck).as(name).containsKeys("test", "interval", "timeout", "retries");
            assertThat(String.join(" ", strings(healthcheck.get("test")))).as(name + " health check")
                    .contains("http://127.0.0.1:" + HEALTH_PORTS.get(name) + "/");
        });
        assertThat(strings(service("prometheus").get("ports"))).contains("9090:9090");
        assertThat(strings(service("grafana").get("ports"))).contains("3000:3000");
        assertThat(strings(service("jaeger").get("ports"))).contains("16686:16686", "4317:4317", "4318:4318");
        assertThat(map(map(service("grafana"), "depends_on"), "prometheus").get("condition")).isEqualTo("service_healthy");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldScrapeTheServicesAndTheNodeExporterEveryFiveSecondsAsTheSpecAsks() throws IOException {
        Map<String, Object> prometheus;
        try (Reader in = Files.newBufferedReader(Path.of("../config/monitoring/prometheus.yml"))) {
            prometheus = new Yaml(new LoaderOptions()).load(in);
        }
        Map<String, Map<String, Object>> jobs = new TreeMap<>();
        for (Object job : (List<Object>) prometheus.get("scrape_configs")) {
            Map<String, Object> j = (Map<String, Object>) job;
            jobs.put(String.valueOf(j.get("job_name")), j);
        }
        assertThat(jobs).containsKeys("toolformer-executor", "toolformer-analytics", "toolformer-alert-processor",
                "node-exporter");
        jobs.forEach((name, job) -> {
            if (name.startsWith("toolformer-") || name.equals("node-exporter")) {
                assertThat(job.get("scrape_interval")).as(name).isEqualTo("5s");
            }
        });
        List<Map<String, Object>> exporter = (List<Map<String, Object>>) jobs.get("node-exporter").get("static_configs");
        assertThat((List<String>) exporter.getFirst().get("targets")).containsExactly("node-exporter:9100");
    }

    @Test
    void shouldMountTheMonitoringConfigWhereEachToolLooksForIt() {
        assertThat(strings(service("prometheus").get("volumes"))).contains(
                "./config/monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                "./config/monitoring/alert-rules.yml:/etc/prometheus/alert-rules.yml:ro");
        assertThat(strings(service("prometheus").get("command"))).contains("--config.file=/etc/prometheus/prometheus.yml");
        assertThat(strings(service("grafana").get("volumes"))).contains(
                "./config/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro",
                "./config/monitoring/grafana/dashboards:/etc/grafana/dashboards:ro");
        services().forEach((name, s) -> {
            for (String volume : strings(s.getOrDefault("volumes", List.of()))) {
                if (volume.startsWith("./")) {
                    assertThat(Path.of("..", volume.substring(2, volume.indexOf(':')))).as(name + " mounts " + volume).exists();
                }
            }
        });
    }

    @Test
    void shouldSendTheServicesTracesToJaeger() {
        SERVICES.keySet().forEach(name -> assertThat(map(service(name), "environment"))
                .as(name).containsEntry("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://jaeger:4318/v1/traces"));
    }

    @Test
    void shouldRouteAlertsToAlertmanagerFromPrometheusAndFromTheAlertProcessor() {
        assertThat(strings(service("alertmanager").get("volumes")))
                .contains("./config/monitoring/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro");
        assertThat(map(service("alert-processor"), "environment"))
                .containsEntry("TOOLFORMER_ONCALL_ALERTMANAGER_API", "http://alertmanager:9093/api/v2/alerts");
    }

    @Test
    void shouldDeclareEveryNamedVolumeItMounts() {
        Set<String> declared = compose.get("volumes") == null ? Set.of() : map(compose, "volumes").keySet();
        services().forEach((name, s) -> {
            for (String volume : strings(s.getOrDefault("volumes", List.of()))) {
                String source = volume.substring(0, volume.indexOf(':'));
                if (!source.startsWith(".") && !source.startsWith("/")) {
                    assertThat(declared).as(name + " mounts " + source).contains(source);
                }
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() {
        return (Map<String, Map<String, Object>>) compose.get("services");
    }

    private static Map<String, Object> service(String name) {
        assertThat(services()).containsKey(name);
        return services().get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, ?> parent, String key) {
        assertThat(parent.get(key)).as(key).isInstanceOf(Map.class);
        return (Map<String, Object>) parent.get(key);
    }

    private static List<String> strings(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return ((List<?>) value).stream().map(String::valueOf).toList();
    }
}
