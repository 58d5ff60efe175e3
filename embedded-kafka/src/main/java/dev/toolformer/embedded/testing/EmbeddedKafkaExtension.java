package dev.toolformer.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs integration tests against one Kafka cluster per test JVM and injects it as a {@link KafkaTestCluster}. */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, ParameterResolver {
    /** When set, tests use this cluster (host:port[,...]) and no embedded broker starts. */
    public static final String BOOTSTRAP_ENV = "TOOLFORMER_TEST_BOOTSTRAP";
    static final int PARTITIONS = 6;
    static final short REPLICATION_FACTOR = 1;

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);
    private static final String KEY = "cluster";

    @Override
    public void beforeAll(ExtensionContext context) {
        // Starting here rather than in a test method keeps the broker's start-up out of method timeouts.
        cluster(context);
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
            try (Admin admin = Admin.create(shared.cluster.settings().admin())) {
                List<String> created = TopicProvisioner.ensureTopics(admin, Topics.ALL, PARTITIONS, REPLICATION_FACTOR);
                warmUpTransactions(shared.cluster.settings());
                log.info("Test cluster {} ready; created topics {}", shared.cluster.bootstrapServers(), created);
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
