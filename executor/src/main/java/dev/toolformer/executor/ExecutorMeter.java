package dev.toolformer.executor;

import java.util.List;

/**
 * Every meter the executor publishes, declared once. The first four carry the names, labels and
 * buckets of the spec's "Application Metrics"; the {@code toolformer_executor_*} ones are ours. The breakers'
 * state and calls are published by resilience4j's Micrometer binder ({@code resilience4j_circuitbreaker_*},
 * see {@link ExecutorMetrics#bindBreakers}).
 */
enum ExecutorMeter {
    REQUESTS("orchestrator_requests_total", "Total orchestrator requests", Type.COUNTER,
            "method", "provider", "status"),
    REQUEST_DURATION("orchestrator_request_duration_seconds", "Request duration in seconds", Type.TIMER,
            "method", "provider"),
    ACTIVE_TOOL_EXECUTIONS("active_tool_executions", "Number of currently executing tools", Type.GAUGE,
            "tool_type"),
    API_COSTS("api_costs_total", "Total API costs", Type.COUNTER, "provider", "model"),
    RETRIES("toolformer_executor_retries_total", "Tool call attempts after the first", Type.COUNTER,
            "method", "provider"),
    DEAD_LETTERS("toolformer_executor_dead_letters_total", "Records sent to the dead-letter topic, by reason",
            Type.COUNTER, "reason"),
    REJECTIONS("toolformer_executor_rejections_total",
            "Requests answered without running, by reason: client mistakes (REJECTED) and calls we could not"
                    + " serve (UNAVAILABLE: CircuitOpen, Throttled)", Type.COUNTER, "reason"),
    BREAKER_TRANSITIONS("toolformer_executor_circuit_breaker_transitions_total",
            "Circuit breaker state changes per tool and provider, by the state entered (open, half_open, closed,"
                    + " forced_open)", Type.COUNTER, "method", "provider", "to"),
    IN_FLIGHT("toolformer_executor_in_flight", "Requests started and not yet finished", Type.GAUGE,
            "executor_id"),
    MAX_IN_FLIGHT("toolformer_executor_max_in_flight", "Current in-flight limit (lowered by THROTTLE)",
            Type.GAUGE, "executor_id"),
    IN_FLIGHT_BYTES("toolformer_executor_in_flight_bytes",
            "Bytes of the request records held by running requests (bounded by max-in-flight-bytes)", Type.GAUGE,
            "executor_id"),
    PAUSED_PARTITIONS("toolformer_executor_paused_partitions", "Request partitions paused by backpressure",
            Type.GAUGE, "executor_id"),
    CONTROL_COMMANDS("toolformer_executor_control_commands_total", "Control commands applied, by action",
            Type.COUNTER, "action"),
    NAMES_OVERFLOWED("toolformer_executor_names_overflowed_total",
            "Tool, provider or model names of requests reported as 'other': unknown tools, and names past max-unknown-names",
            Type.COUNTER, "kind"),
    CONTROL_COMMANDS_RECOVERED("toolformer_executor_control_commands_recovered_total",
            "Control commands published before this executor started and still in force, applied at start, by action",
            Type.COUNTER, "action");

    /** The spec's buckets for {@link #REQUEST_DURATION}, in seconds. */
    static final double[] DURATION_BUCKETS_SECONDS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** Kind of meter. */
    enum Type { COUNTER, TIMER, GAUGE }

    private final String meterName;
    private final String description;
    private final Type type;
    private final List<String> tags;

    ExecutorMeter(String meterName, String description, Type type, String... tags) {
        this.meterName = meterName;
        this.description = description;
        this.type = type;
        this.tags = List.of(tags);
    }

    String meterName() {
        return meterName;
    }

    String description() {
        return description;
    }

    Type type() {
        return type;
    }

    List<String> tags() {
        return tags;
    }
}
