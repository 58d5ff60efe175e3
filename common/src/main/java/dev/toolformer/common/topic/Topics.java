package dev.toolformer.common.topic;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.toolformer.common.topic.Topic.CleanupPolicy;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.CostWindow;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.Silence;
import dev.toolformer.schema.SloWindow;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.SpeculationWindow;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import org.apache.avro.specific.SpecificRecord;

/** The registry of every topic of the pipeline (DESIGN.md, "Topics"). Names are a public contract. */
public final class Topics {
    private static final Duration DAY = Duration.ofDays(1);

    public static final Topic<ToolRequest> REQUESTS = delete("toolformer.requests", "request_id",
            ToolRequest.class, DAY.multipliedBy(7), "tool calls to run");
    public static final Topic<ToolResult> RESULTS = delete("toolformer.results", "request_id",
            ToolResult.class, DAY.multipliedBy(7), "one final result per request").withBrokerTimestamps();
    public static final Topic<SpeculationOutcome> SPECULATION_OUTCOMES = delete("toolformer.speculation-outcomes",
            "request_id", SpeculationOutcome.class, DAY.multipliedBy(7), "was a speculative call used")
            .withBrokerTimestamps();
    public static final Topic<ExecutorHeartbeat> HEARTBEATS = delete("toolformer.heartbeats", "executor_id",
            ExecutorHeartbeat.class, DAY, "liveness, heap, cpu, in-flight, lag").withBrokerTimestamps();
    public static final Topic<ControlCommand> CONTROL = delete("toolformer.control", "target",
            ControlCommand.class, DAY, "breaker / throttle / cancel / resume, to executors");
    public static final Topic<DeadLetter> DLQ = delete("toolformer.dlq", "original key",
            DeadLetter.class, DAY.multipliedBy(30), "undecodable records, exhausted retries, with reasons");
    public static final Topic<SloWindow> SLO = delete("toolformer.slo", "window key",
            SloWindow.class, DAY.multipliedBy(35), "per-minute SLIs per tool/provider and global");
    public static final Topic<BurnRate> BURN_RATES = delete("toolformer.burn-rates", "slo name",
            BurnRate.class, DAY.multipliedBy(35), "multi-window burn rates, budget remaining");
    public static final Topic<CostWindow> COST = delete("toolformer.cost", "provider/model/window",
            CostWindow.class, DAY.multipliedBy(35), "cost, tokens, cost per request, variance");
    public static final Topic<SpeculationWindow> SPECULATION = delete("toolformer.speculation", "window key",
            SpeculationWindow.class, DAY.multipliedBy(35), "hits, misses, accuracy, wasted cost");
    public static final Topic<ExecutorHealth> HEALTH = new Topic<>("toolformer.health", "executor_id",
            ExecutorHealth.class, CleanupPolicy.COMPACT, Duration.ZERO, "up/down, last seen, resources");
    public static final Topic<AlertEvent> ALERTS = delete("toolformer.alerts", "alert fingerprint",
            AlertEvent.class, DAY.multipliedBy(90), "pending / firing / resolved transitions");
    public static final Topic<IncidentAction> INCIDENTS = delete("toolformer.incidents", "incident id",
            IncidentAction.class, DAY.multipliedBy(90), "actions taken, with outcome");

    /**
     * Firing alerts handed to the one instance that keeps the cooldown and hourly cap of their incident rule
     * (rules counted per rule: key = rule name), so that every alert-processor replica honours one count.
     */
    public static final Topic<AlertEvent> INCIDENT_TRIGGERS = delete("toolformer.incident-triggers", "incident rule",
            AlertEvent.class, DAY, "firing alerts routed to the owner of their incident rule's cooldown");

    public static final Topic<Silence> SILENCES = new Topic<>("toolformer.silences", "silence:<id> / ack:<fingerprint>",
            Silence.class, CleanupPolicy.COMPACT, Duration.ZERO, "silences and acknowledgements of alerts");

    /** Every topic, in the order of DESIGN.md, then the ones added since. */
    public static final List<Topic<?>> ALL = List.of(REQUESTS, RESULTS, SPECULATION_OUTCOMES, HEARTBEATS, CONTROL,
            DLQ, SLO, BURN_RATES, COST, SPECULATION, HEALTH, ALERTS, INCIDENTS, SILENCES, INCIDENT_TRIGGERS);

    private Topics() {
    }

    /** The topic named {@code name} on the broker (in this process's {@link Namespace}). */
    public static Optional<Topic<?>> byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    private static <V extends SpecificRecord> Topic<V> delete(
            String name, String key, Class<V> type, Duration retention, String purpose) {
        return new Topic<>(name, key, type, CleanupPolicy.DELETE, retention, purpose);
    }
}
