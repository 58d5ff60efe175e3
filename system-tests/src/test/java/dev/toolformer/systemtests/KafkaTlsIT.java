package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.cli.KafkaClientProperties;
import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.embedded.testing.TestCertificateAuthority;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.server.logging.Logging;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every service on a TLS client listener, configured with the client properties of the README's "Connecting to a
 * secured cluster" examples, read from the README itself with only its placeholders filled in: SASL_SSL with
 * SCRAM-SHA-512, and mutual TLS where the client certificate is the principal. Both brokers enforce ACLs. The
 * certificates come from a CA made with the JDK's keytool. A client without a certificate, or one that does not
 * trust the brokers' CA, is refused with an SSL error instead of being left waiting; no store password reaches
 * the logs.
 */
@Tag("integration")
class KafkaTlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The SCRAM user and the certificate's common name of the README's examples. */
    private static final String APP = "toolformer";
    private static final String ADMIN = "admin";
    private static final String APP_PASSWORD = "scram-" + UUID.randomUUID().toString().replace("-", "");
    /** The app's certificate maps to User:toolformer; any other subject stays whole, e.g. User:CN=broker,O=Toolformer. */
    private static final String MAPPING_RULES = "RULE:^CN=([^,]+),OU=pipeline,.*$/$1/,DEFAULT";
    /** Logs every Kafka client's configuration when it is created, store locations and passwords included. */
    private static final String CONFIG_LOGGER = "org.apache.kafka.common.config.AbstractConfig";

    @TempDir
    static Path shared;
    private static TestCertificateAuthority.Store truststore;
    private static TestCertificateAuthority.Store appKeys;
    private static TestCertificateAuthority.Store intruderKeys;
    private static TestCertificateAuthority.Store foreignTruststore;
    private static Map<String, String> secrets;
    private static EmbeddedKafkaBroker saslSsl;
    private static EmbeddedKafkaBroker mutualTls;

    private final PrintStream originalErr = System.err;

    @BeforeAll
    static void startBrokersWithTls() throws Exception {
        Path certs = Files.createDirectories(shared.resolve("certs"));
        TestCertificateAuthority ca = TestCertificateAuthority.create(certs, "toolformer-test-ca");
        TestCertificateAuthority.Store brokerKeys = ca.issue("broker", "CN=broker,O=Toolformer", "IP:127.0.0.1",
                "DNS:localhost");
        truststore = ca.truststore();
        appKeys = ca.issue("client", "CN=" + APP + ",OU=pipeline,O=Toolformer");
        intruderKeys = ca.issue("intruder", "CN=intruder,O=Toolformer");
        foreignTruststore = TestCertificateAuthority.create(certs, "foreign-ca").truststore();
        secrets = Map.of("truststore password", truststore.password(), "client keystore password", appKeys.password(),
                "broker keystore password", brokerKeys.password(), "SCRAM password", APP_PASSWORD);
        EmbeddedKafkaBroker.Tls tls = new EmbeddedKafkaBroker.Tls(brokerKeys.path(), brokerKeys.password(),
                truststore.path(), truststore.password());

        saslSsl = EmbeddedKafkaBroker.startWithScramOverTls(shared.resolve("sasl-ssl-broker"), 0,
                EmbeddedKafkaBroker.Scram.superUser(ADMIN, "admin-" + UUID.randomUUID()).withUser(APP, APP_PASSWORD),
                tls, Map.of());
        grantPipelineAcls(saslSsl, "User:" + APP);
        mutualTls = EmbeddedKafkaBroker.startWithMutualTls(shared.resolve("mtls-broker"), 0, tls,
                Map.of("ssl.principal.mapping.rules", MAPPING_RULES));
        grantPipelineAcls(mutualTls, "User:" + APP);
    }

    /** What an operator grants the pipeline's principal: everything named toolformer*, as the README says. */
    private static void grantPipelineAcls(EmbeddedKafkaBroker broker, String principal) throws Exception {
        KafkaSettings admin = new KafkaSettings(broker.bootstrapServers(), broker.superUserClientProperties());
        try (Admin client = Admin.create(admin.admin())) {
            TopicProvisioner.ensureTopics(client, Topics.ALL, 3, (short) 1);
            List<AclBinding> acls = Stream.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)
                    .map(type -> new AclBinding(new ResourcePattern(type, "toolformer", PatternType.PREFIXED),
                            new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW)))
                    .toList();
            client.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            // The broker's authorizer applies new ACLs from the metadata log a moment later; DescribeAcls is
            // answered from that same authorizer, so once it lists them, they are enforced.
            AclBindingFilter mine = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                    principal, null, AclOperation.ANY, AclPermissionType.ANY));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> client.describeAcls(mine).values().get().containsAll(acls));
        }
    }

    @AfterAll
    static void stopBrokers() {
        for (EmbeddedKafkaBroker broker : new EmbeddedKafkaBroker[] {saslSsl, mutualTls}) {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @AfterEach
    void restoreLogging() {
        System.setErr(originalErr);
        Logging.configure(Logging.Format.TEXT, "INFO", "test");
    }

    @Test
    @Timeout(240)
    void shouldRunEveryServiceOverSaslSslWithTheReadmesClientProperties(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = readmeSettings(saslSsl, readmeExample("kafka.security.protocol=SASL_SSL"), dir);
        assertThat(kafka.overrides()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", truststore.path().toString());

        String logs = runEveryService(kafka, dir, "sasl_ssl_provider");

        assertNoSecretIn(logs);
    }

    @Test
    @Timeout(240)
    void shouldRunEveryServiceOverMutualTlsWithTheReadmesClientPropertiesAndTheCertificateAsPrincipal(@TempDir Path dir)
            throws Exception {
        KafkaSettings kafka = readmeSettings(mutualTls, readmeExample("kafka.security.protocol=SSL"), dir);
        assertThat(kafka.overrides()).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.location", appKeys.path().toString())
                .containsEntry("ssl.truststore.location", truststore.path().toString())
                .doesNotContainKey("sasl.jaas.config");

        String logs = runEveryService(kafka, dir, "mtls_provider");

        assertNoSecretIn(logs);
    }

    @Test
    @Timeout(120)
    void shouldRefuseAClientWithoutACertificateOnTheMutualTlsListener(@TempDir Path dir) throws Exception {
        Map<String, String> trustOnly = new HashMap<>(readmeProperties(readmeExample("kafka.security.protocol=SSL"), dir));
        trustOnly.remove("ssl.keystore.location");
        trustOnly.remove("ssl.keystore.password");
        KafkaSettings noCertificate = new KafkaSettings(mutualTls.bootstrapServers(), trustOnly);

        assertThatThrownBy(() -> listTopics(noCertificate))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SslAuthenticationException.class)
                .cause().isInstanceOf(SSLHandshakeException.class)
                .hasMessage("(certificate_required) Received fatal alert: certificate_required");
        assertThatThrownBy(() -> new ToolformerClient(noCertificate).close())
                .isInstanceOf(KafkaAccessException.class)
                .hasMessageStartingWith("cannot read toolformer.results: ")
                .hasMessageContaining(": (certificate_required) Received fatal alert: certificate_required (authenticating"
                        + " as User:ANONYMOUS (no client certificate: ssl.keystore.location is not set); check")
                .message().doesNotContain(truststore.password());
    }

    @Test
    @Timeout(120)
    void shouldFailTheHandshakeOfAClientThatDoesNotTrustTheBrokersCa(@TempDir Path dir) throws Exception {
        for (EmbeddedKafkaBroker broker : List.of(saslSsl, mutualTls)) {
            String protocol = broker == saslSsl ? "SASL_SSL" : "SSL";
            Map<String, String> properties = new HashMap<>(readmeProperties(readmeExample(
                    "kafka.security.protocol=" + protocol), dir));
            properties.put("ssl.truststore.location", foreignTruststore.path().toString());
            properties.put("ssl.truststore.password", foreignTruststore.password());
            KafkaSettings untrusting = new KafkaSettings(broker.bootstrapServers(), properties);

            assertThatThrownBy(() -> listTopics(untrusting))
                    .as(protocol)
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SslAuthenticationException.class)
                    .hasMessage("SSL handshake failed")
                    .cause().isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("PKIX path building failed");
            assertThatThrownBy(() -> new ToolformerClient(untrusting).close())
                    .as(protocol)
                    .isInstanceOf(KafkaAccessException.class)
                    .hasMessageStartingWith("cannot read toolformer.results: SSL handshake failed: ")
                    .hasMessageContaining("PKIX path building failed")
                    .message().doesNotContain(foreignTruststore.password()).doesNotContain(APP_PASSWORD);
        }
    }

    @Test
    @Timeout(120)
    void shouldRefuseACertificateWhosePrincipalHasNoAcls(@TempDir Path dir) {
        Map<String, String> properties = new HashMap<>(readmeProperties(readmeExample("kafka.security.protocol=SSL"), dir));
        properties.put("ssl.keystore.location", intruderKeys.path().toString());
        properties.put("ssl.keystore.password", intruderKeys.password());
        KafkaSettings intruder = new KafkaSettings(mutualTls.bootstrapServers(), properties);

        assertThatThrownBy(() -> new ToolformerClient(intruder).close())
                .isInstanceOf(KafkaAccessException.class)
                .hasMessage("cannot read toolformer.results: Not authorized to access topics: [toolformer.results]"
                        + " (check the ACLs of the certificate's principal in " + intruderKeys.path() + ")");
    }

    /**
     * Runs the executor, analytics and the alert processor with {@code kafka}, submits three echo calls for
     * {@code provider} and checks their results, their SLO window and the alert it fires; returns what was logged.
     */
    private String runEveryService(KafkaSettings kafka, Path dir, String provider) throws Exception {
        ByteArrayOutputStream logs = captureLogs();
        EveryServiceCheck.run(kafka, dir, provider, "TlsTraffic");
        String logged = logs.toString(StandardCharsets.UTF_8);
        // The check below can fail: the clients did log their configuration, stores included.
        assertThat(logged).contains("ssl.truststore.location = " + truststore.path());
        return logged;
    }

    private static void assertNoSecretIn(String logs) {
        secrets.forEach((name, secret) -> assertThat(logs).as("%s in the logs", name).doesNotContain(secret));
    }

    /**
     * Sends the log output, as the services write it (masked, at DEBUG, with the Kafka clients' configuration
     * dumps) to the returned buffer until the test ends.
     */
    private ByteArrayOutputStream captureLogs() {
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.TEXT, "DEBUG", "toolformer-test");
        ((Logger) LoggerFactory.getLogger(CONFIG_LOGGER)).setLevel(Level.INFO);
        return logs;
    }

    private static void listTopics(KafkaSettings kafka) throws Exception {
        Map<String, Object> conf = kafka.admin();
        conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        try (Admin admin = Admin.create(conf)) {
            // Bounded: a refusal that leaves the client waiting fails here with a TimeoutException.
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    /** The settings the CLI builds from a {@code --kafka-config} file holding the README's example. */
    private static KafkaSettings readmeSettings(EmbeddedKafkaBroker broker, String example, Path dir) {
        return new KafkaSettings(broker.bootstrapServers(), readmeProperties(example, dir));
    }

    private static Map<String, String> readmeProperties(String example, Path dir) {
        Path file = dir.resolve("kafka-" + UUID.randomUUID() + ".properties");
        try {
            Files.writeString(file, fillPlaceholders(example));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return KafkaClientProperties.merge(file, Map.of());
    }

    /**
     * {@code example} with its placeholders replaced by this test's files and passwords: the values of the store
     * keys, and the JAAS password. Every other character stays as the README wrote it.
     */
    private static String fillPlaceholders(String example) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("kafka.ssl.truststore.location", truststore.path().toString());
        values.put("kafka.ssl.truststore.password", truststore.password());
        values.put("kafka.ssl.keystore.location", appKeys.path().toString());
        values.put("kafka.ssl.keystore.password", appKeys.password());
        String filled = example.lines().map(line -> {
            int equals = line.indexOf('=');
            String key = equals < 0 ? line : line.substring(0, equals);
            if (values.containsKey(key)) {
                return key + "=" + values.get(key);
            }
            return line.replace("password=\"...\"", "password=\"" + APP_PASSWORD + "\"");
        }).collect(Collectors.joining("\n", "", "\n"));
        assertThat(filled).as("the README's example, filled in").doesNotContain("...");
        return filled;
    }

    /** The README's {@code properties} example of "Connecting to a secured cluster" that has {@code line}. */
    private static String readmeExample(String line) {
        String readme = readme();
        int section = readme.indexOf("### Connecting to a secured cluster");
        assertThat(section).as("the README's section 'Connecting to a secured cluster'").isNotNegative();
        int end = readme.indexOf("\n## ", section);
        Matcher block = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL)
                .matcher(readme.substring(section, end < 0 ? readme.length() : end));
        while (block.find()) {
            if (block.group(1).lines().anyMatch(line::equals)) {
                return block.group(1);
            }
        }
        throw new AssertionError("no properties example with '" + line + "' in the README's section");
    }

    private static String readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path readme = dir.resolve("README.md");
            if (Files.isRegularFile(readme) && Files.exists(dir.resolve("mvnw"))) {
                try {
                    return Files.readString(readme);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new AssertionError("no README.md beside mvnw above " + Path.of("").toAbsolutePath());
    }
}
