package dev.toolformer.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.ExecutorHeartbeat;
import io.javalin.Javalin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Two analytics instances of one application: each answers for all executors, merging the other's share. */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class MultiInstanceQueryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXECUTORS = 6;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAnswerForEveryExecutorFromEitherInstance(KafkaTestCluster cluster, @TempDir Path state)
            throws Exception {
        String applicationId = cluster.uniqueName("analytics-multi");
        List<String> executors = new ArrayList<>();
        for (int i = 0; i < EXECUTORS; i++) {
            executors.add(cluster.uniqueName("exec"));
        }
        List<Javalin> servers = new ArrayList<>();
        List<AnalyticsService> services = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.settings().producer("multi-it"))) {
            for (String name : List.of("a", "b")) {
                int port = freePort();
                Map<String, String> overrides = new HashMap<>(cluster.settings().overrides());
                overrides.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + port);
                AnalyticsService service = new AnalyticsService(AnalyticsConfig.defaults(state.resolve(name))
                        .withApplicationId(applicationId), new KafkaSettings(cluster.bootstrapServers(), overrides));
                services.add(service);
                service.start();
                servers.add(Javalin.create(c -> {
                    c.startup.showJavalinBanner = false;
                    c.jetty.host = "127.0.0.1";
                    c.jetty.port = port;
                    service.api().register(c);
                }).start());
            }
            for (String executor : executors) {
                ExecutorHeartbeat heartbeat = AnalyticsDriver.heartbeat(executor, Instant.now(), 1);
                producer.send(new ProducerRecord<>(Topics.HEARTBEATS.name(), executor,
                        AvroSerde.of(ExecutorHeartbeat.class).encode(heartbeat)));
            }
            producer.flush();

            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (Javalin server : servers) {
                    assertThat(mine(get(server, "/api/health"), executors)).containsExactlyElementsOf(executors.stream()
                            .sorted().toList());
                }
                List<String> shares = new ArrayList<>();
                for (Javalin server : servers) {
                    shares.addAll(mine(get(server, "/api/health?local=true"), executors));
                }
                assertThat(shares).containsExactlyInAnyOrderElementsOf(executors);
            });
        } finally {
            servers.forEach(Javalin::stop);
            services.forEach(s -> s.close(Duration.ofSeconds(30)));
        }
    }

    private static List<String> mine(JsonNode health, List<String> executors) {
        List<String> ids = new ArrayList<>();
        health.forEach(h -> {
            if (executors.contains(h.get("executor_id").asText())) {
                ids.add(h.get("executor_id").asText());
            }
        });
        return ids;
    }

    private static JsonNode get(Javalin server, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return JSON.readTree(response.body());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
