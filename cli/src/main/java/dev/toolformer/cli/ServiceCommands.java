package dev.toolformer.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertConfigFile;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.incident.FleetActions;
import dev.toolformer.alerts.incident.KubernetesFleet;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsConfigFile;
import dev.toolformer.analytics.AnalyticsMeters;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.service.Service;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ExecutorConfigFile;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.server.AdminActions;
import dev.toolformer.server.AdminHttpServer;
import dev.toolformer.server.AdminRoutes;
import dev.toolformer.server.AdminToken;
import dev.toolformer.server.HealthChecks;
import dev.toolformer.server.ProcessMeters;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** One standalone service against a Kafka cluster: scale out by running more of them. */
final class ServiceCommands {
    private ServiceCommands() {
    }

    /** Options every standalone service has. */
    static final class ServiceOptions {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
                description = "Address of the admin HTTP surface (default: ${DEFAULT-VALUE}).")
        String httpHost;

        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                description = "Local state (Kafka Streams stores) (default: ./${DEFAULT-VALUE}).")
        Path dataDir;
    }

    /** How often a running service is asked whether it has stopped on an error. */
    private static final Duration FAILURE_CHECK = Duration.ofMillis(500);

    /**
     * Serves the admin HTTP of the started {@code service} (with the admin endpoints of {@code admin}, if not
     * null, and its own {@code routes}) until SIGINT/SIGTERM, then closes it. When the service reports a
     * {@link Service#failure()} first (the cluster refused the credentials, an ACL is missing), it is closed and
     * the error thrown: the command fails with it instead of idling unready.
     */
    private static int run(String name, ServiceOptions options, int httpPort, PrometheusMeterRegistry metrics,
                           Service service, AdminRoutes admin, Consumer<JavalinConfig> routes) throws Exception {
        try (UntilStopped signal = new UntilStopped();
             Service running = service;
             HealthChecks health = new HealthChecks().kafka(options.kafka.settings()).add(name, service::isReady)
                     .live(name, service::stalled);
             AdminHttpServer http = AdminHttpServer.start(options.httpHost, httpPort, metrics, health, admin, routes)) {
            System.err.printf("toolformer %s: running against %s; admin on http://%s:%d/health/ready%n",
                    name, options.kafka.bootstrapServers, options.httpHost, http.port());
            while (!signal.await(FAILURE_CHECK)) {
                Optional<RuntimeException> failed = service.failure();
                if (failed.isPresent()) {
                    throw failed.get();
                }
            }
            System.err.printf("toolformer %s: shutting down%n", name);
        } finally {
            metrics.close();
            if (admin != null) {
                admin.close(); // after the HTTP server: its producer of silences
            }
        }
        return 0;
    }

    private static PrometheusMeterRegistry metrics(String component) {
        return ProcessMeters.registry(component);
    }

    @Command(name = "executor", mixinStandardHelpOptions = true,
            description = "Run one executor instance (joins the executor consumer group).")
    static final class Executor implements Callable<Integer> {
        @Mixin
        ServiceOptions options;

        @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8081",
                description = "Admin HTTP port (default: ${DEFAULT-VALUE}).")
        int httpPort;

        @Option(names = "--executor-id", paramLabel = "ID", description = "Unique id (default: executor-<random>).")
        String executorId;

        @Option(names = "--group-id", paramLabel = "ID", defaultValue = ExecutorConfig.DEFAULT_GROUP_ID,
                description = "Consumer group every executor of this pipeline shares (default: ${DEFAULT-VALUE}).")
        String groupId;

        @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "10000",
                description = "Most requests running at once (default: ${DEFAULT-VALUE}).")
        int maxInFlight;

        @Option(names = "--max-in-flight-bytes", paramLabel = "BYTES", defaultValue = "67108864",
                description = "Most bytes of request records held by running requests at once; a larger record runs"
                        + " alone (default: ${DEFAULT-VALUE}, 64 MiB).")
        long maxInFlightBytes;

        @Option(names = "--max-unknown-names", paramLabel = "N", defaultValue = "100",
                description = "Providers, and models, outside the price table and rate limits that keep their own name"
                        + " in metrics, breakers and results; the rest are 'other' (default: ${DEFAULT-VALUE}).")
        int maxUnknownNames;

        @Option(names = "--pricing", paramLabel = "FILE", description = "Price table (default: the bundled config/pricing.yaml).")
        Path pricing;

        @Option(names = "--config", paramLabel = "FILE", description = "Settings: any executor.* key of the executor"
                + " README's configuration table, as a .properties or YAML file; options given on the command line"
                + " win over the file.")
        Path config;

        @Spec
        CommandSpec spec;

        @Mixin
        AdminTokenOption adminToken;

        @Override
        public Integer call() throws Exception {
            AdminToken token = adminToken.load();
            String id = executorId != null ? executorId : "executor-" + UUID.randomUUID().toString().substring(0, 8);
            ExecutorConfig config = settings(id);
            PrometheusMeterRegistry metrics = metrics("executor");
            KafkaSettings kafka = options.kafka.settings();
            ToolExecutor executor = new ToolExecutor(config, kafka, ToolRegistry.discover(),
                    pricing == null ? Pricing.defaults() : Pricing.load(pricing), metrics);
            executor.start();
            AdminRoutes admin = new AdminRoutes(token, new AdminActions(kafka), EnumSet.of(AdminRoutes.Scope.REQUESTS));
            return run("executor", options, httpPort, metrics, executor, admin, routes -> { });
        }

        /**
         * The executor's settings: its defaults, then the {@code --config} file, then the options given on the
         * command line (an option left at its default does not undo the file).
         */
        ExecutorConfig settings(String id) {
            ExecutorConfig.Builder builder = ExecutorConfig.defaults(id).toBuilder();
            if (config != null) {
                ExecutorConfigFile.load(config).applyTo(builder);
            }
            ParseResult given = spec.commandLine().getParseResult();
            if (config == null || given.hasMatchedOption("--group-id")) {
                builder.groupId(groupId);
            }
            if (config == null || given.hasMatchedOption("--max-in-flight")) {
                builder.maxInFlight(maxInFlight);
            }
            if (config == null || given.hasMatchedOption("--max-in-flight-bytes")) {
                builder.maxInFlightBytes(maxInFlightBytes);
            }
            if (config == null || given.hasMatchedOption("--max-unknown-names")) {
                builder.maxUnknownNames(maxUnknownNames);
            }
            return builder.build();
        }
    }

    @Command(name = "analytics", mixinStandardHelpOptions = true,
            description = "Run one analytics (Kafka Streams) instance.")
    static final class Analytics implements Callable<Integer> {
        @Mixin
        ServiceOptions options;

        @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8082",
                description = "Admin HTTP port (default: ${DEFAULT-VALUE}).")
        int httpPort;

        @Option(names = "--application-id", paramLabel = "ID", defaultValue = AnalyticsConfig.DEFAULT_APPLICATION_ID,
                description = "Kafka Streams application id, shared by every analytics instance of this pipeline "
                        + "(default: ${DEFAULT-VALUE}).")
        String applicationId;

        @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "30s",
                description = "How late a result may arrive and still count in its window (default: ${DEFAULT-VALUE}).")
        Duration grace;

        @Option(names = "--config", paramLabel = "FILE", description = "Settings: any analytics.* key (see"
                + " AnalyticsConfig: window-size, grace, slo.*, health.*, ...), as a .properties or YAML file;"
                + " options given on the command line win over the file.")
        Path config;

        @Option(names = "--application-server", paramLabel = "HOST:PORT",
                defaultValue = "${env:TOOLFORMER_APPLICATION_SERVER}",
                description = "Where the other analytics instances reach this one's HTTP API (Kafka Streams'"
                        + " application.server): with it, each instance's /api/* answers merge every instance's"
                        + " share; without it, only its own. On Kubernetes, the pod IP and --http-port."
                        + " Env: TOOLFORMER_APPLICATION_SERVER.")
        String applicationServer;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            AnalyticsConfig config = settings();
            KafkaSettings kafka = options.kafka.settings();
            if (applicationServer != null && !applicationServer.isBlank()) {
                kafka = kafka.withOverride(StreamsConfig.APPLICATION_SERVER_CONFIG,
                        applicationServer(applicationServer.strip()));
            }
            AnalyticsService service = new AnalyticsService(config, kafka);
            PrometheusMeterRegistry metrics = metrics("analytics");
            AnalyticsMeters.bind(metrics, service);
            service.start();
            return run("analytics", options, httpPort, metrics, service, null, service.api()::register);
        }

        /** {@code host:port} as given, or an error naming the option. */
        static String applicationServer(String value) {
            int colon = value.lastIndexOf(':');
            boolean valid = colon > 0 && colon < value.length() - 1;
            if (valid) {
                try {
                    int port = Integer.parseInt(value.substring(colon + 1));
                    valid = port > 0 && port <= 65535;
                } catch (NumberFormatException e) {
                    valid = false;
                }
            }
            if (!valid) {
                throw new IllegalArgumentException("--application-server must be HOST:PORT (e.g. 10.0.3.7:8082), was '"
                        + value + "'");
            }
            return value;
        }

        /** Defaults, then the {@code --config} file, then the options given on the command line. */
        AnalyticsConfig settings() {
            AnalyticsConfig settings = AnalyticsConfig.defaults(options.dataDir.resolve("streams/analytics"));
            if (config == null) {
                return settings.withGrace(grace).withApplicationId(applicationId);
            }
            settings = AnalyticsConfigFile.load(config, settings);
            ParseResult given = spec.commandLine().getParseResult();
            if (given.hasMatchedOption("--grace")) {
                settings = settings.withGrace(grace);
            }
            if (given.hasMatchedOption("--application-id")) {
                settings = settings.withApplicationId(applicationId);
            }
            if (given.hasMatchedOption("--data-dir")) {
                settings = settings.withStateDir(options.dataDir.resolve("streams/analytics"));
            }
            return settings;
        }
    }

    @Command(name = "alert-processor", mixinStandardHelpOptions = true,
            description = "Run one alert-processor instance.")
    static final class AlertProcessor implements Callable<Integer> {
        @Mixin
        ServiceOptions options;

        @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8083",
                description = "Admin HTTP port (default: ${DEFAULT-VALUE}).")
        int httpPort;

        @Option(names = "--rules", paramLabel = "FILE", description = "Alert rules (default: the bundled rules).")
        Path rules;

        @Option(names = "--application-id", paramLabel = "ID", defaultValue = AlertConfig.DEFAULT_APPLICATION_ID,
                description = "Kafka Streams application id, shared by every alert-processor instance of this "
                        + "pipeline (default: ${DEFAULT-VALUE}).")
        String applicationId;

        @Mixin
        AdminTokenOption adminToken;

        @Option(names = "--kubernetes-executor-deployment", paramLabel = "NAME",
                defaultValue = "${env:TOOLFORMER_K8S_EXECUTOR_DEPLOYMENT}",
                description = "Act on Kubernetes: scale_up adds a replica to this executor Deployment (through the"
                        + " HPA that owns it, if any), restart_service restarts deployments and pods, in this pod's"
                        + " namespace with its service account (deploy/k8s/rbac.yaml). Without it both actions are"
                        + " recorded RECOMMENDED. Env: TOOLFORMER_K8S_EXECUTOR_DEPLOYMENT.")
        String executorDeployment;

        @Option(names = "--max-executors", paramLabel = "N", defaultValue = "12",
                description = "The most executor replicas scale_up may ask for; never more than the partitions of"
                        + " toolformer.requests (default: ${DEFAULT-VALUE}).")
        int maxExecutors;

        @Option(names = "--config", paramLabel = "FILE", description = "Settings: alerts.application-id, alerts.rules,"
                + " alerts.state-dir, alerts.punctuate-interval, alerts.max-event-age,"
                + " alerts.kubernetes.executor-deployment, alerts.kubernetes.max-executors, as a .properties or YAML"
                + " file; options given on the command line win over the file.")
        Path config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            AdminToken token = adminToken.load();
            AlertConfigFile settings = settings();
            String deployment = settings.executorDeployment().orElse(null);
            boolean onKubernetes = deployment != null && !deployment.isBlank();
            try (KubernetesFleet kubernetes = onKubernetes ? KubernetesFleet.inCluster(deployment,
                    settings.maxExecutors().orElseThrow(), options.kafka.settings()) : null) {
                PrometheusMeterRegistry metrics = metrics("alert-processor");
                AlertProcessorService service = new AlertProcessorService(settings.config(),
                        options.kafka.settings(), onKubernetes ? kubernetes : FleetActions.recommendationsOnly())
                        .withMeters(metrics);
                service.start();
                AdminRoutes admin = new AdminRoutes(token, new AdminActions(options.kafka.settings()),
                        EnumSet.of(AdminRoutes.Scope.ALERTS));
                return run("alert-processor", options, httpPort, metrics, service, admin,
                        service.api()::register);
            }
        }

        /** Defaults, then the {@code --config} file, then the options given on the command line. */
        AlertConfigFile settings() {
            Path stateDir = options.dataDir.resolve("streams/alerts");
            if (config == null) {
                return new AlertConfigFile(AlertConfig.of(rules == null ? AlertRules.defaults() : AlertRules.load(rules),
                        stateDir).withApplicationId(applicationId), Optional.ofNullable(executorDeployment),
                        Optional.of(maxExecutors));
            }
            AlertConfigFile file = AlertConfigFile.load(config, AlertConfig.of(AlertRules.defaults(), stateDir));
            ParseResult given = spec.commandLine().getParseResult();
            AlertConfig settings = file.config();
            if (rules != null) {
                settings = settings.withRules(AlertRules.load(rules));
            }
            if (given.hasMatchedOption("--application-id")) {
                settings = settings.withApplicationId(applicationId);
            }
            if (given.hasMatchedOption("--data-dir")) {
                settings = settings.withStateDir(stateDir);
            }
            // The environment variable counts as given: it is how the k8s manifests pass the deployment.
            Optional<String> deployment = executorDeployment != null && !executorDeployment.isBlank()
                    ? Optional.of(executorDeployment) : file.executorDeployment();
            Optional<Integer> max = given.hasMatchedOption("--max-executors") || file.maxExecutors().isEmpty()
                    ? Optional.of(maxExecutors) : file.maxExecutors();
            return new AlertConfigFile(settings, deployment, max);
        }
    }
}
