package dev.toolformer.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer topics}: the topic registry and what the cluster has of it. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List the pipeline's topics and whether the cluster has them; --create adds the missing ones.")
final class TopicsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--create", description = "Create missing topics.")
    boolean create;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "6",
            description = "Partitions of created topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Replication factor of created topics (default: the cluster's default.replication.factor);"
                    + " with three or more replicas they get min.insync.replicas=2.")
    Short replicationFactor;

    @Override
    public Integer call() throws Exception {
        try {
            return list();
        } catch (TimeoutException | ExecutionException e) {
            throw new IllegalStateException("cannot reach Kafka at " + kafka.bootstrapServers() + " ("
                    + (e.getCause() != null ? e.getCause().getMessage() : "timed out") + ")", e);
        }
    }

    private Integer list() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> admin = kafka.settings().admin();
        admin.putIfAbsent("default.api.timeout.ms", 15_000);
        admin.putIfAbsent("request.timeout.ms", 15_000);
        try (Admin client = Admin.create(admin)) {
            if (create) {
                List<String> created = TopicProvisioner.ensureTopics(client, Topics.ALL, partitions,
                        replicationFactor == null ? TopicProvisioner.CLUSTER_DEFAULT : replicationFactor);
                out.println("created " + created.size() + " topic(s)" + (created.isEmpty() ? "" : ": " + created));
            }
            var existing = client.listTopics().names().get(15, TimeUnit.SECONDS);
            List<String> present = Topics.ALL.stream().map(Topic::name).filter(existing::contains).toList();
            Map<String, TopicDescription> described = client.describeTopics(present).allTopicNames().get(15, TimeUnit.SECONDS);
            out.printf("%-34s %-8s %-10s %-8s %s%n", "TOPIC", "EXISTS", "PARTITIONS", "POLICY", "PURPOSE");
            int missing = 0;
            for (Topic<?> topic : Topics.ALL) {
                TopicDescription d = described.get(topic.name());
                missing += d == null ? 1 : 0;
                out.printf("%-34s %-8s %-10s %-8s %s%n", topic.name(), d == null ? "no" : "yes",
                        d == null ? "-" : String.valueOf(d.partitions().size()),
                        topic.cleanupPolicy().name().toLowerCase(Locale.ROOT), topic.purpose());
            }
            out.flush();
            return missing == 0 ? 0 : 1;
        }
    }
}
