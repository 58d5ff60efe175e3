package dev.toolformer.server;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Named readiness checks, reported one by one on {@code /health/ready}: the process is ready when
 * every check passes. The Kafka check asks the cluster (at most every few seconds). Named liveness checks,
 * on {@code /health/live}: the process is live unless one of them says why it is stuck (a loop that makes no
 * progress), which makes an orchestrator restart it.
 */
public final class HealthChecks implements AutoCloseable {
    private static final Duration KAFKA_CHECK_EVERY = Duration.ofSeconds(5);

    private final Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
    private final Map<String, Supplier<Optional<String>>> liveness = new LinkedHashMap<>();
    private Admin admin;
    private volatile long kafkaCheckedAt;
    private volatile boolean kafkaUp;

    /** Adds a check that the Kafka cluster answers. */
    public HealthChecks kafka(KafkaSettings kafka) {
        Map<String, Object> config = kafka.admin();
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
        admin = Admin.create(config);
        checks.put("kafka", this::kafkaReachable);
        return this;
    }

    public HealthChecks add(String name, BooleanSupplier check) {
        checks.put(name, check);
        return this;
    }

    /** Adds a liveness check: empty while {@code name} makes progress, else why it is stuck. */
    public HealthChecks live(String name, Supplier<Optional<String>> stalled) {
        liveness.put(name, stalled);
        return this;
    }

    /** {@code {"status": "UP"|"DOWN", "checks": {"executor": "UP" | "<why it is stuck>", ...}}}. */
    Map<String, Object> liveReport() {
        Map<String, String> results = new LinkedHashMap<>();
        boolean up = true;
        for (var check : liveness.entrySet()) {
            Optional<String> stalled = check.getValue().get();
            results.put(check.getKey(), stalled.orElse("UP"));
            up &= stalled.isEmpty();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", results);
        return body;
    }

    boolean ready() {
        return checks.values().stream().allMatch(BooleanSupplier::getAsBoolean);
    }

    /** {@code {"status": "UP"|"DOWN", "checks": {"kafka": "UP", ...}}}. */
    Map<String, Object> report() {
        Map<String, String> results = new LinkedHashMap<>();
        boolean up = true;
        for (var check : checks.entrySet()) {
            boolean ok = check.getValue().getAsBoolean();
            results.put(check.getKey(), ok ? "UP" : "DOWN");
            up &= ok;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", results);
        return body;
    }

    private boolean kafkaReachable() {
        long now = System.nanoTime();
        if (now - kafkaCheckedAt < KAFKA_CHECK_EVERY.toNanos()) {
            return kafkaUp;
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000)).nodes().get(3, TimeUnit.SECONDS);
            kafkaUp = true;
        } catch (Exception e) {
            kafkaUp = false;
        }
        kafkaCheckedAt = now;
        return kafkaUp;
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }
}
