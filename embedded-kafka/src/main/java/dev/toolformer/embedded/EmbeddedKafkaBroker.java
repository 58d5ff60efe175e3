package dev.toolformer.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one process),
 * started in-process from the Kafka server artifacts. Its log directory persists: starting again on
 * the same directory keeps the topics and their records. Its client listener is PLAINTEXT, or secured
 * with ACLs enforced: SASL/SCRAM-SHA-512 ({@link Scram}) on plain TCP or on TLS ({@link Tls}), or TLS with
 * required client certificates. The controller listener stays PLAINTEXT on 127.0.0.1.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final Path dataDir;
    private final int port;
    private final KafkaRaftServer server;
    private final ClientListener listener;
    private volatile boolean closed;

    private EmbeddedKafkaBroker(Path dataDir, int port, KafkaRaftServer server, ClientListener listener) {
        this.dataDir = dataDir;
        this.port = port;
        this.server = server;
        this.listener = listener;
    }

    /**
     * Formats {@code dataDir} if it is new, starts the broker and waits until it answers clients.
     *
     * @param port the client port on 127.0.0.1, or 0 for any free port
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides) {
        return start(dataDir, port, ClientListener.plaintext(), overrides);
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
        return start(dataDir, port, ClientListener.scram(Objects.requireNonNull(scram, "scram == null"), null), overrides);
    }

    /**
     * Like {@link #startWithScram}, with the client listener on TLS ({@code SASL_SSL}): the broker presents
     * {@code tls}'s key store, which the broker also uses to reach itself, so its certificate must name
     * 127.0.0.1 ({@code IP:127.0.0.1} as a subject alternative name).
     */
    public static EmbeddedKafkaBroker startWithScramOverTls(Path dataDir, int port, Scram scram, Tls tls,
            Map<String, String> overrides) {
        return start(dataDir, port, ClientListener.scram(Objects.requireNonNull(scram, "scram == null"),
                Objects.requireNonNull(tls, "tls == null")), overrides);
    }

    /**
     * Like {@link #start(Path, int, Map)}, with an {@code SSL} client listener that requires a client
     * certificate signed by a CA of {@code tls}'s trust store ({@code ssl.client.auth=required}), and
     * {@code StandardAuthorizer} enforcing ACLs. A client's principal comes from its certificate's subject:
     * {@code User:CN=...,O=...} unless {@code ssl.principal.mapping.rules} (in {@code overrides}) maps it. The
     * broker's own certificate, whose principal is a super user, must name 127.0.0.1 as for {@link
     * #startWithScramOverTls}; {@link #superUserClientProperties()} connects with it.
     */
    public static EmbeddedKafkaBroker startWithMutualTls(Path dataDir, int port, Tls tls, Map<String, String> overrides) {
        Objects.requireNonNull(tls, "tls == null");
        Objects.requireNonNull(overrides, "overrides == null");
        return start(dataDir, port, ClientListener.mutualTls(tls,
                overrides.getOrDefault(ClientListener.PRINCIPAL_MAPPING_RULES, "DEFAULT")), overrides);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, int port, ClientListener listener, Map<String, String> overrides) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        ClusterLayout single = new ClusterLayout(Uuid.randomUuid().toString(), List.of(port == 0 ? freePort() : port),
                List.of(freePort()));
        return start(dataDir, single, NODE_ID, listener, overrides);
    }

    /**
     * Starts node {@code nodeId} (1-based) of the local cluster {@code layout}: each node is a broker and a
     * controller, the controllers form the quorum, and internal topics (and topics created with the cluster's
     * defaults) have min(3, nodes) replicas with min(2, nodes) in sync. Every node must be starting at the same
     * time (in threads or processes): a node is ready once a quorum of controllers runs.
     */
    public static EmbeddedKafkaBroker startClusterNode(Path dataDir, ClusterLayout layout, int nodeId,
                                                       Map<String, String> overrides) {
        Objects.requireNonNull(layout, "layout == null");
        if (nodeId < 1 || nodeId > layout.nodes()) {
            throw new IllegalArgumentException("node id must be 1.." + layout.nodes() + ", was " + nodeId);
        }
        return start(dataDir, layout, nodeId, ClientListener.plaintext(), overrides);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, ClusterLayout layout, int nodeId, ClientListener listener,
                                             Map<String, String> overrides) {
        Objects.requireNonNull(dataDir, "dataDir == null");
        Objects.requireNonNull(overrides, "overrides == null");
        int clientPort = layout.clientPorts().get(nodeId - 1);
        Path logDir = dataDir.toAbsolutePath().resolve("kafka-logs");
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the broker's data directory " + logDir + ": " + e.getMessage(), e);
        }
        Properties props = brokerProperties(logDir, layout, nodeId, listener.protocol());
        props.putAll(listener.brokerProperties());
        props.putAll(overrides);
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        format(config, logDir, listener.scram(), nodeId, layout.clusterId());
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
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, clientPort, server, listener);
        try {
            broker.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Embedded Kafka broker {} of {} ready on {} {} (data in {}) after {} ms", nodeId, layout.nodes(),
                listener.protocol(), broker.bootstrapServers(), logDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
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
     * Kafka client overrides, with the trust store on TLS; none on a broker started without security.
     *
     * @throws IllegalStateException on a mutual-TLS broker, whose clients are their certificates
     */
    public Map<String, String> clientProperties(String user) {
        return listener.clientProperties(user);
    }

    /** The client properties of the super user, e.g. to create topics and ACLs; none without security. */
    public Map<String, String> superUserClientProperties() {
        return listener.superUserClientProperties();
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
    private static Properties brokerProperties(Path logDir, ClusterLayout layout, int nodeId, String clientListener) {
        int port = layout.clientPorts().get(nodeId - 1);
        int controllerPort = layout.controllerPorts().get(nodeId - 1);
        String replicas = String.valueOf(Math.min(3, layout.nodes()));
        String inSync = String.valueOf(Math.min(2, layout.nodes()));
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(nodeId));
        p.put("controller.quorum.voters", layout.voters());
        p.put("listeners", clientListener + "://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", clientListener + "://127.0.0.1:" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listener.security.protocol.map", clientListener + ":" + clientListener + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", clientListener);
        p.put("log.dirs", logDir.toString());
        // Internal topics, and topics created with the cluster's defaults: up to three replicas, two in sync.
        p.put("offsets.topic.replication.factor", replicas);
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", replicas);
        p.put("transaction.state.log.min.isr", inSync);
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", replicas);
        p.put("share.coordinator.state.topic.min.isr", inSync);
        p.put("default.replication.factor", replicas);
        p.put("min.insync.replicas", inSync);
        p.put("group.initial.rebalance.delay.ms", "0");
        // Topics come from the registry (Topics); a typo in a topic name must not create one.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "6");
        return p;
    }

    private static void format(KafkaConfig config, Path logDir, Scram scram, int nodeId, String clusterId) {
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
                    .setNodeId(nodeId)
                    .setClusterId(clusterId)
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
        Map<String, Object> conf = new LinkedHashMap<>(listener.superUserClientProperties());
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
     * The addresses of a local KRaft cluster on 127.0.0.1: node {@code i} (1-based) listens for clients on
     * {@code clientPorts[i-1]} and for its peers' controllers on {@code controllerPorts[i-1]}; every node of one
     * cluster is formatted with {@code clusterId}.
     */
    public record ClusterLayout(String clusterId, List<Integer> clientPorts, List<Integer> controllerPorts) {
        public ClusterLayout {
            Objects.requireNonNull(clusterId, "clusterId == null");
            clientPorts = List.copyOf(clientPorts);
            controllerPorts = List.copyOf(controllerPorts);
            if (clientPorts.isEmpty() || clientPorts.size() != controllerPorts.size()) {
                throw new IllegalArgumentException("one client and one controller port per node, was " + clientPorts
                        + " and " + controllerPorts);
            }
        }

        /** A layout of {@code nodes} nodes on free ports, with a new cluster id. */
        public static ClusterLayout onFreePorts(int nodes) {
            return onPorts(0, nodes);
        }

        /**
         * A layout of {@code nodes} nodes whose client ports are {@code firstClientPort}, the next one, ... (free
         * ones when it is 0), their controller ports free, with a new cluster id (a node whose directory is already
         * formatted keeps its own).
         */
        public static ClusterLayout onPorts(int firstClientPort, int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster has at least one node, was " + nodes);
            }
            List<Integer> client = new ArrayList<>();
            List<Integer> controller = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                client.add(firstClientPort == 0 ? freePort() : firstClientPort + i);
                controller.add(freePort());
            }
            return new ClusterLayout(Uuid.randomUuid().toString(), client, controller);
        }

        public int nodes() {
            return clientPorts.size();
        }

        /** Every node's client address: {@code bootstrap.servers}. */
        public String bootstrapServers() {
            return String.join(",", clientPorts.stream().map(p -> "127.0.0.1:" + p).toList());
        }

        String voters() {
            List<String> voters = new ArrayList<>();
            for (int i = 0; i < nodes(); i++) {
                voters.add((i + 1) + "@127.0.0.1:" + controllerPorts.get(i));
            }
            return String.join(",", voters);
        }
    }

    /**
     * SASL/SCRAM-SHA-512 users of a broker started with {@link #startWithScram} or {@link #startWithScramOverTls}: a super user, which the
     * broker also uses to talk to itself, and any number of ordinary users, who can do what ACLs grant
     * them and nothing else. Names and passwords are letters, digits, '-', '_' and '.'.
     */
    public record Scram(String superUser, Map<String, String> passwords) {
        /** The SASL mechanism of the client listener. */
        public static final String MECHANISM = "SCRAM-SHA-512";
        private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._-]+");

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

        /**
         * {@code security.protocol} ({@code SASL_PLAINTEXT}), {@code sasl.mechanism} and {@code sasl.jaas.config}
         * of {@code user}.
         */
        public Map<String, String> clientProperties(String user) {
            String password = passwords.get(user);
            if (password == null) {
                throw new IllegalArgumentException("no SCRAM user '" + user + "'; users are " + passwords.keySet());
            }
            return Map.of(
                    "security.protocol", ClientListener.SASL_PLAINTEXT,
                    SaslConfigs.SASL_MECHANISM, MECHANISM,
                    SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(user, password));
        }

        private static String jaasConfig(String user, String password) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                    + "\" password=\"" + password + "\";";
        }

        /** SCRAM on the client listener {@code listener}, which the broker also uses to reach itself, and ACLs. */
        Map<String, String> brokerProperties(String listener) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("sasl.enabled.mechanisms", MECHANISM);
            p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
            p.put("listener.name." + listener.toLowerCase(Locale.ROOT) + "." + MECHANISM.toLowerCase(Locale.ROOT)
                    + ".sasl.jaas.config", jaasConfig(superUser, passwords.get(superUser)));
            p.putAll(ClientListener.acls("User:" + superUser));
            return p;
        }

        /** The users, not their passwords. */
        @Override
        public String toString() {
            return "Scram[superUser=" + superUser + ", users=" + new TreeSet<>(passwords.keySet()) + "]";
        }

        List<String> formatterArguments() {
            List<String> args = new ArrayList<>();
            passwords.forEach((name, password) -> args.add(MECHANISM + "=[name=" + name + ",password=" + password + "]"));
            return args;
        }
    }
    /**
     * The TLS material of a broker started with {@link #startWithScramOverTls} or {@link #startWithMutualTls}, two
     * PKCS12 files: the key store holds the broker's private key and certificate chain; the trust store holds
     * the CAs it trusts, for client certificates and for its own connections to itself.
     */
    public record Tls(Path keystore, String keystorePassword, Path truststore, String truststorePassword) {
        private static final String TYPE = "PKCS12";

        public Tls {
            Objects.requireNonNull(keystore, "keystore == null");
            Objects.requireNonNull(keystorePassword, "keystorePassword == null");
            Objects.requireNonNull(truststore, "truststore == null");
            Objects.requireNonNull(truststorePassword, "truststorePassword == null");
            keystore = keystore.toAbsolutePath();
            truststore = truststore.toAbsolutePath();
            for (Path file : List.of(keystore, truststore)) {
                if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                    throw new IllegalArgumentException("TLS store " + file + " is not a readable file");
                }
            }
        }

        /** The subject of the key store's certificate as TLS peers see it (RFC 2253), e.g. {@code CN=broker,O=Acme}. */
        String subject() {
            try (InputStream in = Files.newInputStream(keystore)) {
                KeyStore store = KeyStore.getInstance(TYPE);
                store.load(in, keystorePassword.toCharArray());
                for (String alias : Collections.list(store.aliases())) {
                    if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate certificate) {
                        return certificate.getSubjectX500Principal().getName();
                    }
                }
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot read the key store " + keystore + ": " + e.getMessage(), e);
            }
            throw new IllegalArgumentException("the key store " + keystore + " has no private key with a certificate");
        }

        /** Both stores, for the broker's listener and its connections to itself. */
        Map<String, String> brokerProperties() {
            Map<String, String> p = new LinkedHashMap<>(keyStoreProperties());
            p.putAll(trustStoreProperties());
            return p;
        }

        Map<String, String> keyStoreProperties() {
            return Map.of(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, TYPE,
                    SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore.toString(),
                    SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, keystorePassword);
        }

        Map<String, String> trustStoreProperties() {
            return Map.of(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, TYPE,
                    SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.toString(),
                    SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, truststorePassword);
        }

        /** The files, not their passwords. */
        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", truststore=" + truststore + "]";
        }
    }
}
