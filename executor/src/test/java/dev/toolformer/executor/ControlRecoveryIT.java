package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control listener is supervised: an executor started while its broker is away (its first calls time
 * out) follows the control topic once the broker is there, instead of running on for ever without it.
 */
@Tag("integration")
class ControlRecoveryIT {

    @Test
    @Timeout(180)
    void shouldFollowTheControlTopicOnceTheBrokerComesAfterTheExecutorStarted(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // Short client timeouts, so that the first metadata calls fail (TimeoutException) while nothing listens.
        KafkaSettings kafka = new KafkaSettings("127.0.0.1:" + port, Map.of(
                "default.api.timeout.ms", "2000", "request.timeout.ms", "1000", "max.block.ms", "2000"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        String id = "late-broker-" + UUID.randomUUID().toString().substring(0, 8);
        try (ToolExecutor executor = new ToolExecutor(ExecutorConfig.builder(id).heartbeatInterval(Duration.ofSeconds(1))
                .build(), kafka, ToolRegistry.of(List.of(new EchoTool())), Pricing.defaults(), meters)) {
            executor.start();
            Thread.sleep(6_000);
            assertThat(executor.isReady()).isFalse();

            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), port)) {
                try (Admin admin = Admin.create(kafka.admin())) {
                    TopicProvisioner.ensureTopics(admin, Topics.ALL, 2, (short) 1);
                }
                ControlCommand command = ControlCommand.newBuilder().setCommandId(UUID.randomUUID().toString())
                        .setTarget(id).setAction(ControlAction.OPEN_BREAKER).setTool("echo").setProvider("p")
                        .setIssuedAt(Instant.now()).setIssuedBy("test").build();
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("test"))) {
                    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), id,
                            AvroSerde.of(ControlCommand.class).encode(command))).get(30, TimeUnit.SECONDS);
                }

                await().atMost(Duration.ofSeconds(90)).until(executor::isReady);
                await().atMost(Duration.ofSeconds(30)).until(() -> count(meters,
                        "toolformer_executor_control_commands_total") + count(meters,
                        "toolformer_executor_control_commands_recovered_total") == 1.0);
                assertThat(executor.failure()).isEmpty();
            }
        }
    }

    private static double count(SimpleMeterRegistry meters, String name) {
        Counter counter = meters.find(name).tag("action", "OPEN_BREAKER").counter();
        return counter == null ? 0 : counter.count();
    }
}
