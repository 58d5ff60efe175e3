package dev.toolformer.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs integration tests against one Kafka cluster per test JVM and injects it as a {@link KafkaTestCluster}.
 * Each test class gets a {@link Namespace} of its own ({@code toolformer-it<n>-<random>-}): fresh, empty
 * topics, group ids and Streams application ids, created before the class runs and deleted after it, so no
 * test reads another's records and a Streams app does not re-read every earlier test's data. Processes a
 * test starts must inherit it ({@link Namespace#ENV}).
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    /** When set, tests use this cluster (host:port[,...]) and no embedded broker starts. */
    public static final String BOOTSTRAP_ENV = "TOOLFORMER_TEST_BOOTSTRAP";
    static final int PARTITIONS = 6;
    static final short REPLICATION_FACTOR = 1;

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);
    private static final String KEY = "cluster";
    private static final AtomicLong CLASSES = new AtomicLong();
    /** The namespace of tests without this extension (each on a broker of its own): the process's default. */
    private static final String DEFAULT_NAMESPACE = Namespace.prefix();

    @Override
    public void beforeAll(ExtensionContext context) {
        // Starting here rather than in a test method keeps the broker's start-up out of method timeouts.
        KafkaTestCluster cluster = cluster(context);
        if (isNested(context)) {
            return;
        }
        String random = UUID.randomUUID().toString().substring(0, 6);
        Namespace.use("toolformer-it" + CLASSES.incrementAndGet() + "-" + random + "-");
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            TopicProvisioner.ensureTopics(admin, Topics.ALL, PARTITIONS, REPLICATION_FACTOR);
        }
        log.info("{} runs in namespace {}", context.getRequiredTestClass().getSimpleName(), Namespace.prefix());
    }

    /**
     * Deletes the class's topics (best effort: a leftover topic under a name nobody uses again is harmless) and
     * puts the default namespace back for the next class.
     */
    @Override
    public void afterAll(ExtensionContext context) {
        if (isNested(context)) {
            return;
        }
        List<String> names = Topics.ALL.stream().map(Topic::name).toList();
        try (Admin admin = Admin.create(cluster(context).settings().admin())) {
            admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.warn("Could not delete the topics of namespace {}: {}", Namespace.prefix(), e.toString());
        } finally {
            Namespace.use(DEFAULT_NAMESPACE);
        }
    }

    private static boolean isNested(ExtensionContext context) {
        return context.getRequiredTestClass().getEnclosingClass() != null;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KafkaTestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return cluster(extensionContext);
    }

    private static KafkaTestCluster cluster(ExtensionContext context) {
        // The root store lives as long as the test run and closes its AutoCloseable values at the end.
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(KEY, key -> SharedCluster.start(), SharedCluster.class)
                .cluster();
    }

    /** The cluster of this JVM's test run; closing it stops the embedded broker, if one was started. */
    private record SharedCluster(KafkaTestCluster cluster, EmbeddedKafkaBroker broker, Path dataDir)
            implements AutoCloseable {

        static SharedCluster start() {
            String external = System.getenv(BOOTSTRAP_ENV);
            if (external != null && !external.isBlank()) {
                log.info("Integration tests use the cluster at {} ({})", external, BOOTSTRAP_ENV);
                return provisioned(new SharedCluster(new KafkaTestCluster(KafkaSettings.of(external.trim())), null, null));
            }
            Path dataDir = createTempDir();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dataDir), "embedded-kafka-cleanup"));
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0);
            KafkaTestCluster cluster = new KafkaTestCluster(KafkaSettings.of(broker.bootstrapServers()));
            return provisioned(new SharedCluster(cluster, broker, dataDir));
        }

        private static SharedCluster provisioned(SharedCluster shared) {
            try {
                warmUpTransactions(shared.cluster.settings());
                log.info("Test cluster {} ready", shared.cluster.bootstrapServers());
                return shared;
            } catch (RuntimeException e) {
                shared.close();
                throw e;
            }
        }

        /**
         * Creates the broker's transaction-state topic and elects its leaders before any test runs, so the
         * first exactly-once Streams app of a test JVM does not race that creation.
         */
        private static void warmUpTransactions(KafkaSettings kafka) {
            Map<String, Object> config = kafka.producer("test-warm-up");
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    "toolformer-test-warm-up-" + UUID.randomUUID());
            try (var producer = new KafkaProducer<String, byte[]>(config)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.commitTransaction();
            }
        }

        @Override
        public void close() {
            if (broker != null) {
                broker.close();
                deleteRecursively(dataDir);
            }
        }

        private static Path createTempDir() {
            try {
                return Files.createTempDirectory("toolformer-test-kafka-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for the embedded broker", e);
            }
        }

        private static void deleteRecursively(Path dir) {
            if (!Files.exists(dir)) {
                return;
            }
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // Best effort: a leftover directory under java.io.tmpdir is harmless.
                log.warn("Could not delete {}: {}", dir, e.getMessage());
            }
        }
    }
}
