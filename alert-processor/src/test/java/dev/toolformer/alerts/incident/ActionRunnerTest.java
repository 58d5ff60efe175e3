package dev.toolformer.alerts.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;
import dev.toolformer.alerts.AlertMeters;
import dev.toolformer.alerts.Records;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.rules.IncidentPolicy.ActionType;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.IncidentAction;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class ActionRunnerTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final AlertEvent MEMORY = Records.alert("HighMemoryUsage", Map.of("executor", "executor-7"),
            AlertState.FIRING, T, T);

    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void shouldRecordAScaleUpNothingCouldActOnAsRecommendedNotExecuted() {
        runner(FleetActions.recommendationsOnly()).run(run(new IncidentPolicy.Action(ActionType.SCALE_UP, null, null,
                null)));

        IncidentAction action = incidents().get(0);
        assertThat(action.getAction()).isEqualTo("scale_up");
        assertThat(action.getOutcome()).isEqualTo(ActionOutcome.RECOMMENDED);
        assertThat(action.getDetail()).startsWith("no scaler configured").contains("add one executor instance");
        assertThat(meters.get(AlertMeters.ACTIONS).tags("action", "scale_up", "outcome", "recommended").counter()
                .count()).isEqualTo(1.0);
    }

    @Test
    void shouldRecordAScaleUpTheFleetDidAsExecuted() {
        runner(alert -> ActionResult.executed("scaled 2 -> 3")).run(run(new IncidentPolicy.Action(ActionType.SCALE_UP,
                null, null, null)));

        assertThat(incidents()).extracting(IncidentAction::getOutcome, IncidentAction::getDetail)
                .containsExactly(tuple(ActionOutcome.EXECUTED, "scaled 2 -> 3"));
    }

    @Test
    void shouldRestartTheTargetWithTheAlertsLabelsFilledIn() {
        List<String> restarted = new ArrayList<>();
        FleetActions fleet = new FleetActions() {
            @Override
            public ActionResult scaleUp(AlertEvent alert) {
                throw new AssertionError("not asked");
            }

            @Override
            public ActionResult restart(String target, AlertEvent alert) {
                restarted.add(target);
                return ActionResult.executed("deleted " + target);
            }
        };
        runner(fleet).run(run(new IncidentPolicy.Action(ActionType.RESTART_SERVICE, null, null, null, null,
                "pod/{{executor}}")));

        assertThat(restarted).containsExactly("pod/executor-7");
        assertThat(incidents().get(0).getParameters()).containsEntry("target", "pod/executor-7");
    }

    @Test
    void shouldRecordARestartWithoutACLusterAsRecommended() {
        runner(FleetActions.recommendationsOnly()).run(run(new IncidentPolicy.Action(ActionType.RESTART_SERVICE, null,
                null, null, null, "deployment/toolformer-executor")));

        assertThat(incidents().get(0).getOutcome()).isEqualTo(ActionOutcome.RECOMMENDED);
    }

    @Test
    void shouldSendTriggerGcToTheAlertsExecutorOnly() {
        runner(FleetActions.recommendationsOnly()).run(run(new IncidentPolicy.Action(ActionType.TRIGGER_GC, null,
                null, null)));

        List<ControlCommand> commands = producer.history().stream().filter(r -> r.topic().equals(Topics.CONTROL.name()))
                .map(r -> Topics.CONTROL.valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
        assertThat(commands).extracting(ControlCommand::getAction, ControlCommand::getTarget)
                .containsExactly(tuple(ControlAction.TRIGGER_GC, "executor-7"));
        assertThat(incidents().get(0).getOutcome()).isEqualTo(ActionOutcome.EXECUTED);
    }

    @Test
    void shouldCheckEachDependencyUrlAndNameTheOnesThatDoNotAnswer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health/ready", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.createContext("/broken", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            IncidentPolicy.Action check = new IncidentPolicy.Action(ActionType.CHECK_DEPENDENCIES, null, null, null,
                    null, null, List.of(base + "/health/ready?executor={{executor}}", base + "/broken",
                    "http://127.0.0.1:" + closedPort + "/health/ready"));

            runner(FleetActions.recommendationsOnly()).run(run(check));

            IncidentAction action = incidents().get(0);
            assertThat(action.getAction()).isEqualTo("check_dependencies");
            assertThat(action.getOutcome()).isEqualTo(ActionOutcome.FAILED);
            assertThat(action.getDetail().split("; ")).satisfiesExactly(
                    kafka -> assertThat(kafka).startsWith("kafka unreachable: ").endsWith("no Kafka in this test"),
                    ready -> assertThat(ready).matches(Pattern.quote(base
                            + "/health/ready?executor=executor-7") + " answered 200 in \\d+ ms"),
                    broken -> assertThat(broken).matches(Pattern.quote(base + "/broken")
                            + " failing: 503 in \\d+ ms"),
                    closed -> assertThat(closed).startsWith("http://127.0.0.1:" + closedPort
                            + "/health/ready unreachable: ConnectException"));
            assertThat(meters.get(AlertMeters.ACTIONS).tags("action", "check_dependencies", "outcome", "failed")
                    .counter().count()).isEqualTo(1.0);
        } finally {
            server.stop(0);
        }
    }

    private ActionRunner runner(FleetActions fleet) {
        return new ActionRunner(producer, () -> {
            throw new IllegalStateException("no Kafka in this test");
        }, fleet, new WebhookSender(Duration.ofMillis(10), Duration.ofMillis(10)),
                AlertRules.defaults().incidents(), "test", Clock.systemUTC(), new AlertMeters(meters));
    }

    private static ResponsePlanner.Run run(IncidentPolicy.Action action) {
        IncidentPolicy.Rule rule = new IncidentPolicy.Rule("r", Map.of(), Duration.ofMinutes(5), 10,
                IncidentPolicy.Scope.RULE, List.of(action));
        return new ResponsePlanner.Run(rule, action, MEMORY, false);
    }

    private List<IncidentAction> incidents() {
        return producer.history().stream().filter(r -> r.topic().equals(Topics.INCIDENTS.name()))
                .map(ProducerRecord::value)
                .map(v -> Topics.INCIDENTS.valueSerde().deserializer().deserialize(Topics.INCIDENTS.name(), v))
                .toList();
    }
}
