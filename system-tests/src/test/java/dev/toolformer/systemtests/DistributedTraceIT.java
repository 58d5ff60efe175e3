package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolStatus;
import dev.toolformer.systemtests.faults.ServiceProcess;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One trace crosses the deployed pipeline: an agent's span, its request's publish span (the agent's SDK, given to
 * {@link ToolformerClient}), the executor's {@code execute_tool} and result publish spans, and the analytics'
 * {@code process} span of that result — the executor and analytics each in its own JVM through the real CLI, each
 * exporting over OTLP/HTTP (protobuf) to a receiver in the test that decodes what they really send, each under its
 * own {@code service.name}.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class DistributedTraceIT {
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private HttpServer receiver;

    /** A span as exported, with the {@code service.name} of the process that exported it. */
    private record Received(String service, String traceId, String spanId, String parentSpanId, String name,
                            List<KeyValue> attributes) {
        String attribute(String key) {
            return attributes.stream().filter(a -> a.getKey().equals(key)).findFirst()
                    .map(a -> a.getValue().getStringValue()).orElse(null);
        }
    }

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/traces", exchange -> {
            ExportTraceServiceRequest export =
                    ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
            for (ResourceSpans resource : export.getResourceSpansList()) {
                String service = resource.getResource().getAttributesList().stream()
                        .filter(a -> a.getKey().equals("service.name")).findFirst()
                        .map(a -> a.getValue().getStringValue()).orElse(null);
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                    scope.getSpansList().forEach(span -> received.add(new Received(service,
                            hex(span.getTraceId().toByteArray()), hex(span.getSpanId().toByteArray()),
                            hex(span.getParentSpanId().toByteArray()), span.getName(), span.getAttributesList())));
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    @Timeout(240)
    void shouldFollowOneTraceFromTheAgentThroughTheExecutorToTheAnalytics(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = cluster.settings();
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/traces";
        int executorPort = freePort();
        int analyticsPort = freePort();
        try (ServiceProcess analytics = ServiceProcess.start(dir.resolve("analytics.log"), "analytics",
                "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", cluster.uniqueName("analytics"),
                "--data-dir", dir.resolve("analytics").toString(), "--http-port", String.valueOf(analyticsPort),
                "--otlp-endpoint", endpoint);
             ServiceProcess executor = ServiceProcess.start(dir.resolve("executor.log"), "executor",
                     "--bootstrap-servers", kafka.bootstrapServers(), "--executor-id", cluster.uniqueName("executor"),
                     "--data-dir", dir.resolve("executor").toString(), "--http-port", String.valueOf(executorPort),
                     "--otlp-endpoint", endpoint);
             OpenTelemetrySdk agentSdk = agentSdk(endpoint);
             ToolformerClient client = new ToolformerClient(kafka, Clock.systemUTC(), agentSdk)) {
            await().atMost(Duration.ofSeconds(120))
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .failFast("analytics exited: " + analytics.output(), () -> !analytics.isAlive())
                    .until(() -> ready(executorPort) && ready(analyticsPort));
            Span turn = agentSdk.getTracer("agent").spanBuilder("agent turn").startSpan();
            String traceId = turn.getSpanContext().getTraceId();
            String requestId;
            try (Scope ignored = turn.makeCurrent()) {
                ToolRequest request = client.newRequest("echo", "{\"q\":\"trace me\"}", Duration.ofSeconds(30)).build();
                requestId = request.getRequestId();
                assertThat(client.submit(request, Duration.ofSeconds(60)).get().getStatus())
                        .isEqualTo(ToolStatus.SUCCESS);
            } finally {
                turn.end();
            }

            String results = Topics.RESULTS.name();
            // Each process exports on its own schedule: wait for every service's spans, not just the last hop's.
            await().atMost(Duration.ofSeconds(90))
                    .failFast("analytics exited: " + analytics.output(), () -> !analytics.isAlive())
                    .failFast("executor exited: " + executor.output(), () -> !executor.isAlive())
                    .untilAsserted(() -> assertThat(inTrace(traceId)).extracting(s -> s.service() + " " + s.name())
                            .contains("toolformer-executor execute_tool echo", "toolformer-executor " + results
                                    + " publish", "toolformer-analytics " + results + " process"));

            List<Received> trace = inTrace(traceId);
            Received publish = one(trace, "test-agent", Topics.REQUESTS.name() + " publish");
            assertThat(publish.parentSpanId()).isEqualTo(turn.getSpanContext().getSpanId());
            assertThat(publish.attribute("messaging.system")).isEqualTo("kafka");
            assertThat(publish.attribute("messaging.kafka.message.key")).isEqualTo(requestId);
            Received execute = one(trace, "toolformer-executor", "execute_tool echo");
            assertThat(execute.parentSpanId()).isEqualTo(publish.spanId());
            assertThat(execute.attribute("toolformer.request_id")).isEqualTo(requestId);
            Received result = one(trace, "toolformer-executor", results + " publish");
            assertThat(result.parentSpanId()).isEqualTo(execute.spanId());
            Received process = one(trace, "toolformer-analytics", results + " process");
            assertThat(process.parentSpanId()).isEqualTo(result.spanId());
            assertThat(process.attribute("messaging.destination.name")).isEqualTo(results);
        }
    }

    private List<Received> inTrace(String traceId) {
        return received.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private static Received one(List<Received> trace, String service, String name) {
        List<Received> matching = trace.stream().filter(s -> s.name().equals(name) && service.equals(s.service()))
                .toList();
        assertThat(matching).as("spans named '%s' from %s in %s", name, service, trace).hasSize(1);
        return matching.getFirst();
    }

    /** The agent application's own SDK: everything sampled, exported at once to the same receiver. */
    private static OpenTelemetrySdk agentSdk(String endpoint) {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"),
                                "test-agent")))
                        .addSpanProcessor(SimpleSpanProcessor.create(OtlpHttpSpanExporter.builder()
                                .setEndpoint(endpoint).build()))
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static boolean ready(int port) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
