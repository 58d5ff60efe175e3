package dev.toolformer.alerts.incident;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.toolformer.alerts.AlertMeters;
import dev.toolformer.alerts.incident.NotificationGrouper.Notification;
import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.common.control.ControlCommands;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ActionOutcome;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.IncidentAction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Performs incident actions and records each as an {@link IncidentAction} on toolformer.incidents.
 * Blocking (Kafka sends, HTTP, Admin calls): the responder calls it on virtual threads. Thread-safe.
 */
final class ActionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ActionRunner.class);
    private static final long SEND_TIMEOUT_S = 30;
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CHECK_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    private final Producer<String, byte[]> producer;
    private final Supplier<Admin> admin;
    private final FleetActions fleet;
    private final WebhookSender webhooks;
    private final IncidentPolicy policy;
    private final String issuedBy;
    private final Clock clock;
    private final AlertMeters meters;

    ActionRunner(Producer<String, byte[]> producer, Supplier<Admin> admin, FleetActions fleet,
                 WebhookSender webhooks, IncidentPolicy policy, String issuedBy, Clock clock, AlertMeters meters) {
        this.producer = producer;
        this.admin = admin;
        this.fleet = fleet;
        this.webhooks = webhooks;
        this.policy = policy;
        this.issuedBy = issuedBy;
        this.clock = clock;
        this.meters = meters;
    }

    void run(ResponsePlanner.Run task) {
        AlertEvent alert = task.alert();
        Map<String, String> params = new LinkedHashMap<>();
        params.put("incident_rule", task.rule().name());
        String action = task.action().type().key();
        ActionOutcome outcome = ActionOutcome.EXECUTED;
        String detail;
        try {
            switch (task.action().type()) {
                case CIRCUIT_BREAKER -> {
                    action = "open_breaker";
                    detail = openBreaker(alert, task.action().probeAfter(), params);
                }
                case THROTTLE -> {
                    action = task.restore() ? "unthrottle" : "throttle";
                    detail = control(task.restore() ? ControlAction.UNTHROTTLE : ControlAction.THROTTLE, alert,
                            task.restore() ? null : task.action().ratePerS(), params);
                }
                case SCALE_UP -> {
                    ActionResult result = fleet.scaleUp(alert);
                    outcome = result.outcome();
                    detail = result.detail();
                }
                case RESTART_SERVICE -> {
                    String target = task.action().target(alert.getLabels());
                    params.put("target", target);
                    ActionResult result = fleet.restart(target, alert);
                    outcome = result.outcome();
                    detail = result.detail();
                }
                case TRIGGER_GC -> detail = triggerGc(alert, params);
                case CHECK_DEPENDENCIES -> {
                    List<String> urls = task.action().urls(alert.getLabels());
                    ActionResult result = checkDependencies(urls);
                    if (!urls.isEmpty()) {
                        params.put("urls", String.valueOf(urls.size()));
                    }
                    outcome = result.outcome();
                    detail = result.detail();
                }
                case ESCALATE -> {
                    params.put("receiver", task.action().receiver());
                    WebhookSender.Result r = webhooks.send(policy.receivers().get(task.action().receiver()),
                            new Notification(task.action().receiver(), "escalation:" + alert.getFingerprint(),
                                    Map.of("alertname", alert.getRule()), List.of(alert)), "[ESCALATION] ");
                    outcome = r.ok() ? ActionOutcome.EXECUTED : ActionOutcome.FAILED;
                    detail = "still firing and unacknowledged after " + task.action().after() + ": " + r.detail();
                }
                default -> throw new IllegalStateException("not run here: " + task.action().type());
            }
        } catch (Exception e) {
            outcome = ActionOutcome.FAILED;
            detail = String.valueOf(e.getMessage());
            LOG.warn("incident action {} for {} failed", action, alert.getFingerprint(), e);
        }
        record(alert, action, params, outcome, detail);
    }

    void skip(ResponsePlanner.Skip task) {
        record(task.alert(), task.action().type().key(), Map.of("incident_rule", task.rule().name()), task.outcome(),
                task.detail());
    }

    /**
     * Posts the still-firing alerts of {@code n} again to its receiver's {@code alertmanager-api} webhooks (see
     * {@link AlertmanagerPush}); not recorded as an incident action, since it tells nothing new.
     */
    void resend(Notification n) {
        WebhookSender.Result r = webhooks.send(policy.receivers().get(n.receiver()), n, "",
                format -> format == IncidentPolicy.Format.ALERTMANAGER_API);
        if (!r.ok()) {
            LOG.warn("cannot post {} firing alert(s) again to Alertmanager for receiver {}: {}", n.alerts().size(),
                    n.receiver(), r.detail());
        }
    }

    /** Sends one grouped notification and records one {@code notify} action per alert in it. */
    void notify(Notification n) {
        WebhookSender.Result r = webhooks.send(policy.receivers().get(n.receiver()), n, "");
        meters.notification(n.receiver(), r.ok());
        String notification = UUID.randomUUID().toString();
        for (AlertEvent alert : n.alerts()) {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("receiver", n.receiver());
            params.put("group", n.groupKey());
            params.put(IncidentRecovery.NOTIFICATION, notification);
            params.put("alerts", String.valueOf(n.alerts().size()));
            params.put("state", alert.getState().name());
            record(alert, "notify", params, r.ok() ? ActionOutcome.EXECUTED : ActionOutcome.FAILED, r.detail());
        }
    }

    private String openBreaker(AlertEvent alert, Duration probeAfter, Map<String, String> params) throws Exception {
        params.put("probe_after_ms", String.valueOf(probeAfter.toMillis()));
        return control(ControlAction.OPEN_BREAKER, alert, null, probeAfter, params)
                + ", probing after " + probeAfter.toSeconds() + " s: closed by successful probe calls, not by the alert";
    }

    private String control(ControlAction action, AlertEvent alert, Double rate, Map<String, String> params)
            throws Exception {
        return control(action, alert, rate, null, params);
    }

    private String control(ControlAction action, AlertEvent alert, Double rate, Duration probeAfter,
                           Map<String, String> params) throws Exception {
        String tool = concrete(alert.getLabels().get("tool"));
        String provider = concrete(alert.getLabels().get("provider"));
        if (tool == null && provider == null && (action == ControlAction.OPEN_BREAKER
                || action == ControlAction.CLOSE_BREAKER)) {
            throw new IllegalArgumentException("alert " + alert.getFingerprint()
                    + " names no single tool or provider: no breaker to " + (action == ControlAction.OPEN_BREAKER
                    ? "open" : "close"));
        }
        ControlCommand command = ControlCommands.toEveryExecutor(action, issuedBy, clock.instant())
                .setTool(tool)
                .setProvider(provider)
                .setRatePerS(rate)
                .setProbeAfterMs(probeAfter == null ? null : probeAfter.toMillis())
                .setReason(alert.getFingerprint() + " " + alert.getState())
                .build();
        producer.send(ControlCommands.record(command)).get(SEND_TIMEOUT_S, TimeUnit.SECONDS);
        params.put("command_id", command.getCommandId());
        params.put("target", "*");
        if (tool != null) {
            params.put("tool", tool);
        }
        if (provider != null) {
            params.put("provider", provider);
        }
        if (rate != null) {
            params.put("rate_per_s", AlertRule.format(rate));
        }
        return action + " sent to every executor for tool=" + (tool == null ? "any" : tool) + " provider="
                + (provider == null ? "any" : provider);
    }

    /** TRIGGER_GC to the alert's executor, or to every executor when the alert names none. */
    private String triggerGc(AlertEvent alert, Map<String, String> params) throws Exception {
        String executor = concrete(alert.getLabels().get("executor"));
        ControlCommand command = (executor == null
                ? ControlCommands.toEveryExecutor(ControlAction.TRIGGER_GC, issuedBy, clock.instant())
                : ControlCommands.toExecutor(executor, ControlAction.TRIGGER_GC, issuedBy, clock.instant()))
                .setReason(alert.getFingerprint() + " " + alert.getState())
                .build();
        producer.send(ControlCommands.record(command)).get(SEND_TIMEOUT_S, TimeUnit.SECONDS);
        params.put("command_id", command.getCommandId());
        params.put("target", command.getTarget());
        return "TRIGGER_GC sent to " + (executor == null ? "every executor" : "executor " + executor)
                + ": it logs its heap before and after the collection";
    }

    /**
     * Kafka (a describe of the cluster) and each URL (a GET with a {@link #CHECK_TIMEOUT} timeout; a status below
     * 500 counts as reachable): EXECUTED when all answer, FAILED naming what did not, never a hang.
     */
    private ActionResult checkDependencies(List<String> urls) {
        List<String> lines = new ArrayList<>();
        boolean healthy = true;
        try {
            lines.add(kafkaReachable());
        } catch (IllegalStateException e) {
            lines.add(e.getMessage());
            healthy = false;
        }
        for (String url : urls) {
            String shown = Redactor.redact(url);
            long start = System.nanoTime();
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(CHECK_TIMEOUT)
                        .GET().build(), HttpResponse.BodyHandlers.discarding());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                boolean ok = response.statusCode() < 500;
                healthy &= ok;
                lines.add(shown + " " + (ok ? "answered " : "failing: ") + response.statusCode() + " in " + ms + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lines.add(shown + " not checked (interrupted)");
                healthy = false;
            } catch (IOException | IllegalArgumentException e) {
                healthy = false;
                lines.add(shown + " unreachable: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + Redactor.redact(e.getMessage())));
            }
        }
        String detail = String.join("; ", lines);
        return healthy ? ActionResult.executed(detail) : new ActionResult(ActionOutcome.FAILED, detail);
    }

    private String kafkaReachable() {
        try {
            DescribeClusterResult cluster = admin.get().describeCluster();
            String id = cluster.clusterId().get(10, TimeUnit.SECONDS);
            int nodes = cluster.nodes().get(10, TimeUnit.SECONDS).size();
            int controller = cluster.controller().get(10, TimeUnit.SECONDS).id();
            return "kafka reachable: cluster " + id + ", " + nodes + " broker(s), controller " + controller;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("kafka check interrupted", e);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("kafka unreachable: " + cause, e);
        }
    }

    private void record(AlertEvent alert, String action, Map<String, String> params, ActionOutcome outcome,
                        String detail) {
        IncidentAction record = IncidentAction.newBuilder()
                .setIncidentId(ResponsePlanner.episode(alert))
                .setRule(alert.getRule())
                .setAlertFingerprint(alert.getFingerprint())
                .setAction(action)
                .setParameters(params)
                .setOutcome(outcome)
                .setDetail(detail == null ? "" : detail)
                .setExecutedAt(clock.instant())
                .build();
        LOG.info("incident {} {}: {} {}", record.getIncidentId(), action, outcome, record.getDetail());
        meters.action(action, outcome);
        producer.send(new ProducerRecord<>(Topics.INCIDENTS.name(), record.getIncidentId(),
                Topics.INCIDENTS.valueSerde().serializer().serialize(Topics.INCIDENTS.name(), record)), (md, e) -> {
                    if (e != null) {
                        LOG.error("cannot record incident action {} for {}", action, alert.getFingerprint(), e);
                    }
                });
    }

    private static String concrete(String label) {
        return label == null || label.isBlank() || label.equals("*") ? null : label;
    }
}
