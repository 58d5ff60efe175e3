package dev.toolformer.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsMeters;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.embedded.EmbeddedKafkaCluster;
import dev.toolformer.executor.ExecutorStats;
import dev.toolformer.server.dashboard.DashboardFeed;
import dev.toolformer.server.dashboard.DashboardRoutes;
import dev.toolformer.server.logging.LibraryLogs;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The all-in-one: an embedded broker (unless a cluster is given), the topics, the executors, the
 * analytics topology and the alert processor in one JVM, with the HTTP surface. Closing stops them
 * in reverse order of start.
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    /**
     * What to start.
     *
     * @param cluster    the cluster to use; null starts the embedded broker
     * @param alertRules the alert rules; null means the shipped defaults
     * @param adminToken the bearer token of the admin endpoints; {@link AdminToken#disabled()} turns them off
     * @param analytics  the analytics settings, made from the defaults (which it returns unchanged by default)
     * @param brokers    how many nodes the embedded cluster has (when {@code cluster} is null)
     */
    public record Options(KafkaSettings cluster, Path dataDir, int brokerPort, String httpHost, int httpPort,
                   int partitions, short replicationFactor, Duration drainTimeout, AlertRules alertRules,
                   AdminToken adminToken, Clock executorClock, UnaryOperator<AnalyticsConfig> analytics, int brokers) {

        public Options {
            if (brokers < 1) {
                throw new IllegalArgumentException("brokers must be >= 1, was " + brokers);
            }
            Objects.requireNonNull(adminToken, "adminToken == null");
            Objects.requireNonNull(executorClock, "executorClock == null");
            Objects.requireNonNull(analytics, "analytics == null");
        }

        public Options(KafkaSettings cluster, Path dataDir, int brokerPort, String httpHost, int httpPort,
                int partitions, short replicationFactor, Duration drainTimeout, AlertRules alertRules,
                AdminToken adminToken) {
            this(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor, drainTimeout,
                    alertRules, adminToken, Clock.systemUTC(), UnaryOperator.identity(), 1);
        }

        /** Options without an admin token: the admin endpoints are disabled. */
        public Options(KafkaSettings cluster, Path dataDir, int brokerPort, String httpHost, int httpPort,
                int partitions, short replicationFactor, Duration drainTimeout, AlertRules alertRules) {
            this(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor, drainTimeout,
                    alertRules, AdminToken.disabled());
        }

        public Options withAlertRules(AlertRules rules) {
            return new Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor,
                    drainTimeout, rules, adminToken, executorClock, analytics, brokers);
        }

        public Options withAdminToken(AdminToken token) {
            return new Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor,
                    drainTimeout, alertRules, token, executorClock, analytics, brokers);
        }

        /** The executors read this clock (a test runs minutes of event time in seconds with a fast one). */
        public Options withExecutorClock(Clock clock) {
            return new Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor,
                    drainTimeout, alertRules, adminToken, clock, analytics, brokers);
        }

        /** An embedded cluster of {@code nodes} brokers (topics with min(3, nodes) replicas) instead of one. */
        public Options withBrokers(int nodes) {
            return new Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor,
                    drainTimeout, alertRules, adminToken, executorClock, analytics, nodes);
        }

        /** The analytics settings {@code settings} makes of the defaults (a test shortens the windows). */
        public Options withAnalytics(UnaryOperator<AnalyticsConfig> settings) {
            return new Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions, replicationFactor,
                    drainTimeout, alertRules, adminToken, executorClock, settings, brokers);
        }
    }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final PrometheusMeterRegistry metrics = ProcessMeters.registry("all-in-one");
    private KafkaSettings kafka;
    /** The most executors the alert processor's scale_up action may run in the all-in-one. */
    static final int MAX_EXECUTORS = 4;

    private ExecutorFleet executors;
    private AnalyticsService analytics;
    private AlertProcessorService alerts;
    private AdminHttpServer http;

    public static Pipeline start(Options options) {
        Pipeline pipeline = new Pipeline();
        try {
            pipeline.startAll(options);
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    private void startAll(Options options) {
        // The embedded broker's and the Kafka libraries' lines go to a file; the console keeps ours and real errors.
        Path libraryLog = options.dataDir().resolve("logs/kafka.log");
        try {
            Files.createDirectories(libraryLog.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + libraryLog.getParent(), e);
        }
        AutoCloseable libraryLogs = LibraryLogs.to(libraryLog);
        started.push(libraryLogs);
        if (options.cluster() == null && options.brokers() > 1) {
            EmbeddedKafkaBroker.ClusterLayout layout = EmbeddedKafkaBroker.ClusterLayout.onPorts(options.brokerPort(),
                    options.brokers());
            EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(options.dataDir().resolve("kafka"), layout);
            started.push(cluster);
            kafka = KafkaSettings.of(cluster.bootstrapServers());
        } else if (options.cluster() == null) {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options.dataDir().resolve("kafka"), options.brokerPort());
            started.push(broker);
            kafka = KafkaSettings.of(broker.bootstrapServers());
        } else {
            kafka = options.cluster();
        }
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicProvisioner.ensureTopics(admin, Topics.ALL, options.partitions(), options.replicationFactor());
        }
        executors = new ExecutorFleet(kafka, metrics, MAX_EXECUTORS, options.drainTimeout(),
                options.executorClock());
        started.push(executors);
        executors.add();

        Path streams = options.dataDir().resolve("streams");
        AnalyticsConfig analyticsConfig = options.analytics().apply(AnalyticsConfig.defaults(streams.resolve("analytics")));
        analytics = new AnalyticsService(analyticsConfig, kafka);
        AnalyticsMeters.bind(metrics, analytics);
        analytics.start();
        started.push(() -> analytics.close(Duration.ofSeconds(30)));

        alerts = new AlertProcessorService(AlertConfig.of(
                options.alertRules() == null ? AlertRules.defaults() : options.alertRules(), streams.resolve("alerts")),
                kafka, executors).withMeters(metrics);
        alerts.start();
        started.push(() -> alerts.close(Duration.ofSeconds(30)));

        DashboardFeed feed = new DashboardFeed(kafka);
        started.push(feed);
        HealthChecks health = new HealthChecks().kafka(kafka)
                .add("executors", executors::isReady)
                .add("analytics", analytics::isReady)
                .add("alert-processor", alerts::isReady)
                .add("dashboard", feed::caughtUp)
                .live("executors", executors::stalled)
                .live("analytics", analytics::stalled)
                .live("alert-processor", alerts::stalled);
        started.push(health);
        DashboardRoutes dashboard = new DashboardRoutes(feed);
        AdminRoutes admin = new AdminRoutes(options.adminToken(), new AdminActions(kafka),
                EnumSet.allOf(AdminRoutes.Scope.class));
        started.push(admin); // after the HTTP server stops: its producer of silences
        http = AdminHttpServer.start(options.httpHost(), options.httpPort(), metrics, health, admin, config -> {
            dashboard.register(config);
            analytics.api().register(config);
            alerts.api().register(config);
        });
        started.push(http);
        started.push(dashboard); // its event streams end before the HTTP server stops
        log.info("Pipeline up: Kafka at {}, dashboard on http://{}:{}/ (health: /health/ready, metrics: /metrics);"
                + " Kafka's own logs in {}", kafka.bootstrapServers(), options.httpHost(), http.port(), libraryLog);
    }

    /** The port the HTTP surface listens on (resolved when 0 was asked for). */
    public int httpPort() {
        return http.port();
    }

    /** Counters of the all-in-one's executors. */
    public ExecutorStats executorStats() {
        return executors.stats();
    }

    public int executorCount() {
        return executors.size();
    }

    public KafkaSettings kafka() {
        return kafka;
    }

    boolean isReady() {
        return executors != null && executors.isReady() && analytics.isRunning() && alerts.isRunning();
    }

    /**
     * The error that stopped one of the services early (see {@link dev.toolformer.common.service.Service#failure()}),
     * if any: the all-in-one stops on it, as a standalone service does.
     */
    public Optional<RuntimeException> failure() {
        return Optional.<RuntimeException>empty()
                .or(() -> executors == null ? Optional.empty() : executors.failure())
                .or(() -> analytics == null ? Optional.empty() : analytics.failure())
                .or(() -> alerts == null ? Optional.empty() : alerts.failure());
    }

    /** Waits until every service is ready; false if that takes longer than {@code timeout}. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isReady()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    public List<String> notReady() {
        List<String> out = new ArrayList<>();
        if (executors == null || !executors.isReady()) {
            out.add("executor");
        }
        if (analytics == null || !analytics.isRunning()) {
            out.add("analytics");
        }
        if (alerts == null || !alerts.isRunning()) {
            out.add("alert-processor");
        }
        return out;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable next = started.pop();
            try {
                next.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", next, e.toString());
            }
        }
        metrics.close();
    }
}
