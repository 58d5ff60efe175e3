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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertProcessorService;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.analytics.AnalyticsConfig;
import dev.toolformer.analytics.AnalyticsService;
import dev.toolformer.cli.KafkaClientProperties;
import dev.toolformer.cli.ToolformerCli;
import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import dev.toolformer.executor.ExecutorConfig;
import dev.toolformer.executor.ToolExecutor;
import dev.toolformer.executor.ToolRegistry;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.server.logging.Logging;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every service on a broker that requires SASL/SCRAM-SHA-512 and enforces ACLs, with the credentials passed
 * the way an operator passes them: a client properties file ({@code --kafka-config}) turned into Kafka
 * overrides. A principal granted prefixed ACLs on {@code toolformer*} runs the whole pipeline; a client
 * without credentials or with a wrong password is refused; a valid principal without ACLs is stopped with
 * an error naming the refusal, not left waiting.
 */
@Tag("integration")
class KafkaSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "admin";
    private static final String APP = "toolformer-app";
    private static final String DENIED = "denied";
    private static final String PARTIAL = "partial";
    private static final String PARTIAL_PASSWORD = "partial-pa55word";
    private static final String APP_PASSWORD = "app-pa55word";
    private static final String DENIED_PASSWORD = "denied-pa55word";
    private static final EmbeddedKafkaBroker.Scram USERS = EmbeddedKafkaBroker.Scram.superUser(ADMIN, "admin-pa55word")
            .withUser(APP, APP_PASSWORD)
            .withUser(DENIED, DENIED_PASSWORD)
            .withUser(PARTIAL, PARTIAL_PASSWORD);

    private static Path brokerDir;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBrokerWithScramAndAcls() throws Exception {
        brokerDir = Files.createTempDirectory("toolformer-sasl-kafka-");
        broker = EmbeddedKafkaBroker.startWithScram(brokerDir, 0, USERS, Map.of());
        KafkaSettings admin = new KafkaSettings(broker.bootstrapServers(), broker.clientProperties(ADMIN));
        try (Admin client = Admin.create(admin.admin())) {
            TopicProvisioner.ensureTopics(client, Topics.ALL, 3, (short) 1);
            // What an operator grants the pipeline's principal: everything named toolformer*: the registry's
            // topics, the Streams apps' internal topics, the consumer groups and the transactional ids.
            List<AclBinding> acls = Stream.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)
                    .map(type -> new AclBinding(new ResourcePattern(type, "toolformer", PatternType.PREFIXED),
                            new AccessControlEntry("User:" + APP, "*", AclOperation.ALL, AclPermissionType.ALLOW)))
                    .toList();
            client.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            // The broker's authorizer applies new ACLs from the metadata log a moment later; DescribeAcls is
            // answered from that same authorizer, so once it lists them, they are enforced.
            AclBindingFilter mine = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                    "User:" + APP, null, AclOperation.ANY, AclPermissionType.ANY));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> client.describeAcls(mine).values().get().containsAll(acls));
        }
    }

    @AfterAll
    static void stopBroker() throws IOException {
        if (broker != null) {
            broker.close();
        }
        if (brokerDir != null) {
            try (Stream<Path> paths = Files.walk(brokerDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Timeout(240)
    void shouldRunEveryServiceAuthenticatedWithScramAndAllowedByPrefixedAcls(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = settingsFromFile(dir, APP, APP_PASSWORD);
        assertThat(kafka.overrides()).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        EveryServiceCheck.run(kafka, dir, "secured_provider", "SecuredTraffic");
    }

    @Test
    @Timeout(120)
    void shouldRefuseClientsWithoutCredentialsOrWithAWrongPassword(@TempDir Path dir) {
        // No credentials at all: the SASL listener drops the plaintext connection, so the client gets no
        // answer; it must give up within its timeout rather than retry for ever.
        Map<String, Object> plain = KafkaSettings.of(broker.bootstrapServers()).admin();
        plain.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        plain.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin anonymous = Admin.create(plain)) {
            assertThatThrownBy(() -> anonymous.listTopics().names().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class);
        }

        // SASL without a JAAS configuration: refused before connecting, naming what is missing.
        KafkaSettings noJaas = new KafkaSettings(broker.bootstrapServers(),
                Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512"));
        assertThatThrownBy(() -> new ToolformerClient(noJaas).close())
                .rootCause().hasMessageContaining("Could not find a 'KafkaClient' entry in the JAAS configuration");

        // A wrong password: refused by the broker, and the client says so and whom it tried to be.
        KafkaSettings wrong = settingsFromFile(dir, APP, "not-the-password");
        assertThatThrownBy(() -> new ToolformerClient(wrong).close())
                .isInstanceOf(KafkaAccessException.class)
                .hasMessageStartingWith("cannot read toolformer.results: Authentication failed")
                .hasMessageContaining("invalid credentials with SASL mechanism SCRAM-SHA-512")
                .hasMessageContaining("authenticating as User:" + APP)
                .message().doesNotContain("not-the-password");
    }

    @Test
    @Timeout(120)
    void shouldStopTheExecutorOfAPrincipalWithoutAclsWithAnErrorNamingTheRefusal(@TempDir Path dir) {
        KafkaSettings denied = settingsFromFile(dir, DENIED, DENIED_PASSWORD);
        try (ToolExecutor executor = new ToolExecutor(ExecutorConfig.builder("denied-executor").build(), denied,
                ToolRegistry.discover(), Pricing.defaults(), new SimpleMeterRegistry())) {
            executor.start();

            await().atMost(Duration.ofSeconds(60)).until(() -> executor.failure().isPresent());

            assertThat(executor.failure().orElseThrow())
                    .isInstanceOf(KafkaAccessException.class)
                    .message()
                    .matches("executor denied-executor cannot read toolformer\\.(requests|control and toolformer\\"
                            + ".speculation-outcomes): Not authorized to access (topics: \\[toolformer\\.[a-z-]+]"
                            + "|group: toolformer-executor) \\(check the ACLs of User:denied\\)");
            assertThat(executor.isReady()).isFalse();
        }
    }

    @Test
    @Timeout(180)
    void shouldFailTheServiceAndSubmitCommandsOfAPrincipalWithoutAclsWithOneLine(@TempDir Path dir) throws Exception {
        Path config = writeClientConfig(dir, DENIED, DENIED_PASSWORD);

        Cli executor = Cli.run("executor", "-b", broker.bootstrapServers(), "--kafka-config", config.toString(),
                "--executor-id", "denied-cli", "--http-port", "0", "--data-dir", dir.resolve("data").toString());
        Cli analytics = Cli.run("analytics", "-b", broker.bootstrapServers(), "--kafka-config", config.toString(),
                "--http-port", "0", "--data-dir", dir.resolve("data").toString());
        Cli submit = Cli.run("submit", "-b", broker.bootstrapServers(), "--kafka-config", config.toString(),
                "--tool", "echo");

        assertThat(executor.exitCode).isEqualTo(1);
        assertThat(executor.failureLine()).matches("toolformer executor: executor denied-cli cannot read toolformer\\."
                + "(requests|control and toolformer\\.speculation-outcomes): Not authorized to access"
                + " (topics: \\[toolformer\\.[a-z-]+]|group: toolformer-executor) \\(check the ACLs of User:denied\\)");
        assertThat(analytics.exitCode).isEqualTo(1);
        assertThat(analytics.failureLine()).matches("toolformer analytics: analytics toolformer-analytics stopped: Not"
                + " authorized to access (topics: \\[.+]|group: .+) \\(check the ACLs of User:denied\\)");
        assertThat(submit.exitCode).isEqualTo(1);
        assertThat(submit.failureLine()).isEqualTo("toolformer submit: cannot read toolformer.results: Not authorized"
                + " to access topics: [toolformer.results] (check the ACLs of User:denied)");
        assertThat(executor.stderr + analytics.stderr + submit.stderr).doesNotContain(DENIED_PASSWORD);
    }

    @Test
    @Timeout(120)
    void shouldStopAnalyticsAndTheAlertProcessorOfAPrincipalWithoutAclsWithAnErrorNamingTheRefusal(@TempDir Path dir) {
        KafkaSettings denied = settingsFromFile(dir, DENIED, DENIED_PASSWORD);
        try (AnalyticsService analytics = new AnalyticsService(AnalyticsConfig.defaults(dir.resolve("analytics")), denied);
             AlertProcessorService alerts = new AlertProcessorService(new AlertConfig(AlertConfig.DEFAULT_APPLICATION_ID,
                     AlertRules.defaults(), dir.resolve("alerts")), denied)) {
            analytics.start();

            await().atMost(Duration.ofSeconds(60)).until(() -> analytics.failure().isPresent());
            assertThat(analytics.failure().orElseThrow())
                    .isInstanceOf(KafkaAccessException.class)
                    .message()
                    .matches("analytics toolformer-analytics stopped: Not authorized to access (topics: \\[.+]|group: .+)"
                            + " \\(check the ACLs of User:denied\\)");
            assertThatThrownBy(alerts::start)
                    .isInstanceOf(KafkaAccessException.class)
                    .hasMessageStartingWith("alert processor toolformer-alert-processor cannot use toolformer.silences: ")
                    .hasMessageEndingWith(" (check the ACLs of User:denied)");
        }
    }

    /**
     * A partial ACL, changed on the broker while it runs: the executor may read requests and write everything
     * but {@code toolformer.results}. Its results are refused for good, so none of its records may count as
     * done: the executor stops with an error naming the refusal, commits nothing past them, and once the
     * ACL is fixed the next executor of the group answers every request.
     */
    @Test
    @Timeout(240)
    void shouldStopTheExecutorAndCommitNothingWhenAnAclRefusesItsResults(@TempDir Path dir) throws Exception {
        KafkaSettings admin = new KafkaSettings(broker.bootstrapServers(), broker.clientProperties(ADMIN));
        KafkaSettings partial = settingsFromFile(dir, PARTIAL, PARTIAL_PASSWORD);
        String group = "toolformer-partial-" + UUID.randomUUID();
        AclBinding denyResults = new AclBinding(new ResourcePattern(ResourceType.TOPIC, Topics.RESULTS.name(),
                PatternType.LITERAL), new AccessControlEntry("User:" + PARTIAL, "*", AclOperation.WRITE,
                AclPermissionType.DENY));
        List<AclBinding> allow = Stream.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)
                .map(type -> new AclBinding(new ResourcePattern(type, "toolformer", PatternType.PREFIXED),
                        new AccessControlEntry("User:" + PARTIAL, "*", AclOperation.ALL, AclPermissionType.ALLOW)))
                .toList();
        AclBindingFilter partialAcls = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                "User:" + PARTIAL, null, AclOperation.ANY, AclPermissionType.ANY));
        AvroSerde<ToolRequest> requests =
                AvroSerde.of(ToolRequest.class);
        AvroSerde<ToolResult> results =
                AvroSerde.of(ToolResult.class);
        try (Admin client = Admin.create(admin.admin());
             var producer = new KafkaProducer<String, byte[]>(admin.producer("acl-test"));
             var reader = new KafkaConsumer<String, byte[]>(admin.consumer(null, "acl-test"))) {
            List<AclBinding> all = new ArrayList<>(allow);
            all.add(denyResults);
            client.createAcls(all).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> client.describeAcls(partialAcls).values().get()
                    .containsAll(all));
            // The group starts at the current end of the requests, so it runs only this test's requests.
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            client.describeTopics(List.of(Topics.REQUESTS.name())).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(Topics.REQUESTS.name()).partitions().forEach(p -> latest.put(new TopicPartition(Topics.REQUESTS.name(), p.partition()),
                            OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> start =
                    new HashMap<>();
            client.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
                    .forEach((p, info) -> start.put(p, new OffsetAndMetadata(info.offset())));
            client.alterConsumerGroupOffsets(Namespace.qualify(group), start).all().get(30, TimeUnit.SECONDS);
            List<TopicPartition> resultPartitions = reader.partitionsFor(Topics.RESULTS.name())
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            reader.assign(resultPartitions);
            reader.seekToEnd(resultPartitions);
            resultPartitions.forEach(reader::position);
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                var request = ToolRequest.newBuilder().setRequestId(UUID.randomUUID()
                        .toString()).setCorrelationId("acl").setTool("echo").setArgumentsJson("{\"n\":" + i + "}")
                        .setTimeoutMs(10_000).setSubmittedAt(Instant.now()).build();
                ids.add(request.getRequestId());
                producer.send(new ProducerRecord<>(Topics.REQUESTS.name(),
                        request.getRequestId(), requests.encode(request))).get(30, TimeUnit.SECONDS);
            }

            try (ToolExecutor refused = new ToolExecutor(ExecutorConfig.builder("partial-executor").groupId(group)
                    .build(), partial, ToolRegistry.discover(), Pricing.defaults(), new SimpleMeterRegistry())) {
                refused.start();
                await().atMost(Duration.ofSeconds(90)).until(() -> refused.failure().isPresent());
                assertThat(refused.failure().orElseThrow())
                        .isInstanceOf(KafkaAccessException.class)
                        .hasMessage("executor partial-executor cannot write to toolformer.results: Not authorized to"
                                + " access topics: [toolformer.results] (check the ACLs of User:partial)");
            }
            Map<TopicPartition, OffsetAndMetadata> committed =
                    client.listConsumerGroupOffsets(Namespace.qualify(group)).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertThat(committed).as("nothing committed past the refused records").isEqualTo(start);

            client.deleteAcls(List.of(denyResults.toFilter())).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> !client.describeAcls(partialAcls).values().get()
                    .contains(denyResults));
            Set<String> answered = new HashSet<>();
            try (ToolExecutor allowed = new ToolExecutor(ExecutorConfig.builder("partial-executor-2").groupId(group)
                    .build(), partial, ToolRegistry.discover(), Pricing.defaults(), new SimpleMeterRegistry())) {
                allowed.start();
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    reader.poll(Duration.ofMillis(200)).forEach(r -> answered.add(results.decode(r.value()).getRequestId()));
                    return answered.containsAll(ids);
                });
                assertThat(allowed.failure()).isEmpty();
            }
        }
    }

    /** The client settings of {@code user} as the CLI builds them from a {@code --kafka-config} file. */
    private static KafkaSettings settingsFromFile(Path dir, String user, String password) {
        return new KafkaSettings(broker.bootstrapServers(),
                KafkaClientProperties.merge(writeClientConfig(dir, user, password), Map.of()));
    }

    /** A client properties file, keys written with the {@code kafka.} prefix. */
    private static Path writeClientConfig(Path dir, String user, String password) {
        Path file = dir.resolve(user + "-" + password + ".properties");
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
        try {
            Files.writeString(file, """
                    # SCRAM over the embedded broker's SASL_PLAINTEXT listener
                    kafka.security.protocol=SASL_PLAINTEXT
                    kafka.sasl.mechanism=SCRAM-SHA-512
                    kafka.sasl.jaas.config=%s
                    """.formatted(jaas));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** One run of the command line, with its exit code and what it wrote to stderr (logs included). */
    private record Cli(int exitCode, String stderr) {
        static synchronized Cli run(String... args) throws Exception {
            PrintStream originalErr = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                // Bounded: a command that hangs fails the test here rather than at the method timeout.
                int code = CompletableFuture.supplyAsync(() -> ToolformerCli.execute(args)).get(90, TimeUnit.SECONDS);
                return new Cli(code, err.toString(StandardCharsets.UTF_8));
            } finally {
                System.setErr(originalErr);
                Logging.configure(Logging.Format.TEXT, "INFO", "test");
            }
        }

        /** The command's own one-line error: the last line starting with "toolformer ". */
        String failureLine() {
            List<String> lines = stderr.lines().filter(l -> l.startsWith("toolformer ")).toList();
            assertThat(lines).as(stderr).isNotEmpty();
            return lines.getLast();
        }
    }
}
