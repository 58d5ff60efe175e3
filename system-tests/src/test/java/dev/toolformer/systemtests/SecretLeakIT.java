package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.embedded.testing.TestTracing;
import dev.toolformer.executor.tools.HttpTool;
import dev.toolformer.executor.tools.OpenAiChatTool;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.server.Pipeline;
import dev.toolformer.server.logging.Logging;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero API-key exposure: secrets are planted everywhere a user or an operator might put one — the configured
 * OpenAI key (echoed back by a hostile upstream), an Authorization header and a key in the query string of an
 * http call, a key among a tool's arguments, a bearer token in arguments that are not even JSON, an
 * undecodable record with an authorization header — then a load with failures runs through the whole
 * pipeline until an alert fires and its notification is sent. Every output is searched for every secret:
 * the logs, every topic but the requests themselves, the trace spans, the webhook bodies, and the HTTP
 * surface (dashboard, its API, metrics, health).
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class SecretLeakIT {
    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        System.clearProperty(OpenAiChatTool.API_KEY_PROPERTY);
        System.clearProperty(OpenAiChatTool.BASE_URL_PROPERTY);
        System.clearProperty(HttpTool.ALLOW_HOSTS_PROPERTY);
        Logging.configure(Logging.Format.TEXT, "INFO", "toolformer-test");
        TestTracing.reset();
    }

    @Test
    @Timeout(300)
    void shouldShowNoSecretInAnyOutput(KafkaTestCluster cluster, @TempDir Path data) throws Exception {
        String nonce = UUID.randomUUID().toString().replace("-", "");
        String openAiKey = "tf-openai-" + nonce;                 // no known key shape: masked because configured
        String bearer = "tfbearer" + nonce;                       // an Authorization header of an http call
        String headerKey = "tfheaderkey" + nonce;                 // an X-Api-Key header of an http call
        String queryKey = "tfquerykey" + nonce;                   // ?api_key= in an http call's URL
        String argumentKey = "tfargkey" + nonce;                  // "api_key" among a tool's arguments
        String notJson = "tfnotjson" + nonce;                     // a bearer token in arguments that are not JSON
        String poisonKey = "tfpoison" + nonce;                    // inside an undecodable record
        String poisonHeader = "tfpoisonheader" + nonce;           // an authorization header of that record
        List<String> secrets = List.of(openAiKey, bearer, headerKey, queryKey, argumentKey, notJson, poisonKey,
                poisonHeader);

        // A hostile upstream: it echoes back every credential it is sent, in its error bodies.
        List<String> webhooks = new CopyOnWriteArrayList<>();
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/v1/chat/completions", exchange -> {
            byte[] body = ("{\"error\":{\"message\":\"Incorrect API key provided: "
                    + String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")).replace("Bearer ", "")
                    + "\",\"type\":\"invalid_request_error\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.createContext("/echo", exchange -> {
            byte[] body = ("upstream failed for " + exchange.getRequestURI() + " with headers "
                    + exchange.getRequestHeaders()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.createContext("/hook", exchange -> {
            webhooks.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        upstream.start();
        int port = upstream.getAddress().getPort();
        System.setProperty(OpenAiChatTool.API_KEY_PROPERTY, openAiKey);
        System.setProperty(OpenAiChatTool.BASE_URL_PROPERTY, "http://127.0.0.1:" + port + "/v1");
        System.setProperty(HttpTool.ALLOW_HOSTS_PROPERTY, "127.0.0.1:" + port);

        InMemorySpanExporter spans = InMemorySpanExporter.create();
        TestTracing.install(1.0, spans);
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.JSON, "DEBUG", "toolformer-test");

        String provider = cluster.uniqueName("leak").replace('-', '_');
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: LeakErrorRate
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "{{provider}} fails {{value}} of its calls"}
                route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s}
                receivers:
                  - name: hook
                    webhooks:
                      - {url: "http://127.0.0.1:%d/hook", format: alertmanager}
                """.formatted(provider, port), "secret-leak");
        Pipeline.Options options = new Pipeline.Options(cluster.settings(), data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules);
        List<ToolResult> results = new ArrayList<>();
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            KafkaSettings kafka = pipeline.kafka();
            List<CompletableFuture<ToolResult>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(client.submit(client.newRequest("openai-chat",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"gpt-4o-mini\"}",
                        Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(90)));
                calls.add(client.submit(client.newRequest("http", """
                        {"url": "http://127.0.0.1:%d/echo?api_key=%s", "method": "GET",
                         "headers": {"Authorization": "Bearer %s", "X-Api-Key": "%s"}}"""
                        .formatted(port, queryKey, bearer, headerKey), Duration.ofSeconds(10))
                        .setProvider(provider).build(), Duration.ofSeconds(90)));
                calls.add(client.submit(client.newRequest("simulated", "this is not json: Bearer " + notJson,
                        Duration.ofSeconds(10)).setProvider(provider).build(), Duration.ofSeconds(90)));
            }
            for (int i = 0; i < 20; i++) {
                calls.add(client.submit(client.newRequest("simulated",
                        "{\"fail_probability\":1,\"api_key\":\"" + argumentKey + "\"}", Duration.ofSeconds(10))
                        .setProvider(provider).build(), Duration.ofSeconds(90)));
            }
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(kafka.producer("secret-leak-poison"))) {
                ProducerRecord<String, byte[]> poison = new ProducerRecord<>(Topics.REQUESTS.name(), "poison-" + nonce,
                        ("\u00c3\u0001garbage api_key=" + poisonKey).getBytes(StandardCharsets.ISO_8859_1));
                poison.headers().add("authorization", ("Bearer " + poisonHeader).getBytes(StandardCharsets.UTF_8));
                raw.send(poison).get();
            }
            for (CompletableFuture<ToolResult> call : calls) {
                results.add(call.get());
            }
            assertThat(results).extracting(ToolResult::getStatus).doesNotContain(ToolStatus.SUCCESS);
            assertThat(results).extracting(ToolResult::getStatus).contains(ToolStatus.ERROR, ToolStatus.REJECTED);
            await().atMost(Duration.ofSeconds(120)).until(() -> webhooks.stream().anyMatch(w -> w.contains(provider)));
            await().atMost(Duration.ofSeconds(60)).until(() -> topicText(kafka, Topics.DLQ).contains("poison-" + nonce));

            StringBuilder http = new StringBuilder();
            HttpClient httpClient = HttpClient.newHttpClient();
            for (String path : List.of("/", "/api/dashboard", "/metrics", "/health/ready", "/health/live")) {
                http.append(httpClient.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + pipeline.httpPort() + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> spans.getFinishedSpanItems().stream()
                    .anyMatch(s -> s.getName().equals("execute_tool openai-chat")));
            Map<String, String> outputs = new LinkedHashMap<>();
            outputs.put("logs", logs.toString(StandardCharsets.UTF_8));
            outputs.put("results", String.valueOf(results));
            for (Topic<?> topic : Topics.ALL) {
                if (!topic.equals(Topics.REQUESTS)) { // the requests are the agents' own input
                    outputs.put("topic " + topic.baseName(), topicText(kafka, topic));
                }
            }
            outputs.put("spans", String.valueOf(spans.getFinishedSpanItems()));
            outputs.put("webhooks", String.valueOf(webhooks));
            outputs.put("http", http.toString());

            // The test can fail: the secrets did travel through (the upstream echoed them, the DLQ holds the record).
            assertThat(results).filteredOn(r -> r.getTool().equals("openai-chat")).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.getError().getMessage()).contains("Incorrect API key provided"));
            assertThat(results).filteredOn(r -> r.getTool().equals("http")).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.getError().getMessage()).contains("500"));
            assertThat(outputs.get("logs")).contains("openai-chat");
            assertThat(outputs.get("topic toolformer.dlq")).contains("poison-" + nonce);
            assertThat(outputs.get("spans")).contains("execute_tool openai-chat");
            outputs.forEach((name, text) -> assertThat(secrets)
                    .as("secrets in %s", name)
                    .allSatisfy(secret -> assertThat(text).as(name).doesNotContain(secret)));
        } finally {
            upstream.stop(0);
        }
    }

    /** Every record of {@code topic}, headers and bytes, as ISO-8859-1 text. */
    private static String topicText(KafkaSettings kafka, Topic<?> topic) {
        StringBuilder text = new StringBuilder();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null, "secret-leak"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    text.append(r.key()).append(' ');
                    r.headers().forEach(h -> text.append(h.key()).append('=')
                            .append(h.value() == null ? "" : new String(h.value(), StandardCharsets.ISO_8859_1)).append(' '));
                    text.append(r.value() == null ? "" : new String(r.value(), StandardCharsets.ISO_8859_1)).append('\n');
                }
            }
        }
        return text.toString();
    }
}
