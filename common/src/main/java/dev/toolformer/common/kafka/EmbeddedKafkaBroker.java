package dev.toolformer.common.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one process),
 * started in-process from the Kafka server artifacts. Its log directory persists: starting again on
 * the same directory keeps the topics and their records. Started with {@link Scram}, its client
 * listener requires SASL/SCRAM-SHA-512 and ACLs are enforced.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final Path dataDir;
    private final int port;
    private final KafkaRaftServer server;
    private final Scram scram;
    private volatile boolean closed;

    private EmbeddedKafkaBroker(Path dataDir, int port, KafkaRaftServer server, Scram scram) {
        this.dataDir = dataDir;
        this.port = port;
        this.server = server;
        this.scram = scram;
    }

    /**
     * Formats {@code dataDir} if it is new, starts the broker and waits until it answers clients.
     *
     * @param port the client port on 127.0.0.1, or 0 for any free port
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides) {
        return start(dataDir, port, null, overrides);
    }

    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * Like {@link #start(Path, int, Map)}, with a client listener that requires SASL/SCRAM-SHA-512 and
     * {@code StandardAuthorizer} enforcing ACLs. The users of {@code scram} are created when the
     * directory is formatted, that is on the first start only.
     */
    public static EmbeddedKafkaBroker startWithScram(Path dataDir, int port, Scram scram, Map<String, String> overrides) {
        return start(dataDir, port, Objects.requireNonNull(scram, "scram == null"), overrides);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, int port, Scram scram, Map<String, String> overrides) {
        Objects.requireNonNull(dataDir, "dataDir == null");
        Objects.requireNonNull(overrides, "overrides == null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        int clientPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Path logDir = dataDir.toAbsolutePath().resolve("kafka-logs");
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the broker's data directory " + logDir + ": " + e.getMessage(), e);
        }
        Properties props = brokerProperties(logDir, clientPort, controllerPort, scram == null ? "PLAINTEXT" : Scram.LISTENER);
        if (scram != null) {
            props.putAll(scram.brokerProperties());
        }
        props.putAll(overrides);
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        format(config, logDir, scram);
        long started = System.nanoTime();
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            // Release the ports and the log directory lock of a half-started server.
            server.shutdown();
            server.awaitShutdown();
            throw new IllegalStateException("the embedded broker did not start on port " + clientPort + ": "
                    + e.getMessage(), e);
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, clientPort, server, scram);
        try {
            broker.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Embedded Kafka broker ready on {} (data in {}) after {} ms",
                broker.bootstrapServers(), logDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return broker;
    }

    /** The {@code bootstrap.servers} value clients use. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * The client properties that authenticate as {@code user} (one of {@link Scram}'s), to pass as
     * Kafka client overrides; none on a broker started without SCRAM.
     */
    public Map<String, String> clientProperties(String user) {
        return scram == null ? Map.of() : scram.clientProperties(user);
    }

    /** Stops the broker cleanly (controlled shutdown, logs flushed); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        log.info("Embedded Kafka broker on port {} stopped", port);
    }

    /** {@code clientListener} is both the listener's name and its security protocol. */
    private static Properties brokerProperties(Path logDir, int port, int controllerPort, String clientListener) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", clientListener + "://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", clientListener + "://127.0.0.1:" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listener.security.protocol.map", clientListener + ":" + clientListener + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", clientListener);
        p.put("log.dirs", logDir.toString());
        // One node: every internal topic has a single replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Topics come from the registry (Topics); a typo in a topic name must not create one.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "6");
        return p;
    }

    private static void format(KafkaConfig config, Path logDir, Scram scram) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Formatter formatter = new Formatter();
            if (scram != null) {
                formatter.setScramArguments(scram.formatterArguments());
            }
            formatter
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(logDir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the broker's log directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady(Duration timeout) {
        Map<String, Object> conf = new LinkedHashMap<>(scram == null ? Map.of() : scram.clientProperties(scram.superUser()));
        conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(conf)) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedded broker", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("embedded broker on port " + port + " did not become ready within " + timeout, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    /**
     * SASL/SCRAM-SHA-512 users of a broker started with {@link #startWithScram}: a super user, which the
     * broker also uses to talk to itself, and any number of ordinary users, who can do what ACLs grant
     * them and nothing else. Names and passwords are letters, digits, '-', '_' and '.'.
     */
    public record Scram(String superUser, Map<String, String> passwords) {
        /** The SASL mechanism of the client listener. */
        public static final String MECHANISM = "SCRAM-SHA-512";
        private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._-]+");
        static final String LISTENER = "SASL_PLAINTEXT";

        public Scram {
            Objects.requireNonNull(superUser, "superUser == null");
            Objects.requireNonNull(passwords, "passwords == null");
            passwords.forEach((name, password) -> {
                if (!PLAIN.matcher(name).matches() || !PLAIN.matcher(password).matches()) {
                    throw new IllegalArgumentException("SCRAM user names and passwords must match " + PLAIN
                            + ", user was '" + name + "'");
                }
            });
            if (!passwords.containsKey(superUser)) {
                throw new IllegalArgumentException("super user '" + superUser + "' has no password");
            }
            passwords = Map.copyOf(passwords);
        }

        /** Only a super user. */
        public static Scram superUser(String name, String password) {
            return new Scram(name, Map.of(name, password));
        }

        /** These users plus {@code name}. */
        public Scram withUser(String name, String password) {
            Map<String, String> all = new LinkedHashMap<>(passwords);
            all.put(name, password);
            return new Scram(superUser, all);
        }

        /** {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config} of {@code user}. */
        public Map<String, String> clientProperties(String user) {
            String password = passwords.get(user);
            if (password == null) {
                throw new IllegalArgumentException("no SCRAM user '" + user + "'; users are " + passwords.keySet());
            }
            return Map.of(
                    "security.protocol", LISTENER,
                    SaslConfigs.SASL_MECHANISM, MECHANISM,
                    SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(user, password));
        }

        private static String jaasConfig(String user, String password) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                    + "\" password=\"" + password + "\";";
        }

        /** SCRAM on the client listener, which the broker also uses to reach itself, and ACLs. */
        Map<String, String> brokerProperties() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("sasl.enabled.mechanisms", MECHANISM);
            p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
            p.put("listener.name." + LISTENER.toLowerCase(Locale.ROOT) + "." + MECHANISM.toLowerCase(Locale.ROOT)
                    + ".sasl.jaas.config", jaasConfig(superUser, passwords.get(superUser)));
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            // ANONYMOUS is whoever uses the PLAINTEXT controller listener on loopback: the broker itself,
            // registering with its controller. The client listener never yields ANONYMOUS.
            p.put("super.users", "User:" + superUser + ";User:ANONYMOUS");
            p.put("allow.everyone.if.no.acl.found", "false");
            return p;
        }

        /** The users, not their passwords. */
        @Override
        public String toString() {
            return "Scram[superUser=" + superUser + ", users=" + new java.util.TreeSet<>(passwords.keySet()) + "]";
        }

        List<String> formatterArguments() {
            List<String> args = new ArrayList<>();
            passwords.forEach((name, password) -> args.add(MECHANISM + "=[name=" + name + ",password=" + password + "]"));
            return args;
        }
    }
}
