package dev.toolformer.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * The cluster a benchmark run uses — the embedded broker in a temporary directory, or a given one —
 * with the pipeline's topics, scratch topics for the relay, and names no other run uses.
 */
public final class BenchCluster implements AutoCloseable {
    private static final long TIMEOUT_S = 60;

    private final KafkaSettings kafka;
    private final int partitions;
    private final short replicationFactor;
    private final EmbeddedKafkaBroker broker;
    private final Path dataDir;
    private final Admin admin;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger sequence = new AtomicInteger();

    private BenchCluster(KafkaSettings kafka, int partitions, short replicationFactor, EmbeddedKafkaBroker broker,
                         Path dataDir) {
        this.kafka = kafka;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.broker = broker;
        this.dataDir = dataDir;
        this.admin = Admin.create(kafka.admin());
    }

    /** A new embedded broker with its data in a temporary directory, deleted on close. */
    public static BenchCluster embedded(int partitions) throws IOException {
        Path dir = Files.createTempDirectory("toolformer-bench-");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
        return new BenchCluster(KafkaSettings.of(broker.bootstrapServers()), partitions, (short) 1, broker, dir);
    }

    public static BenchCluster external(KafkaSettings kafka, int partitions, short replicationFactor) {
        return new BenchCluster(kafka, partitions, replicationFactor, null, null);
    }

    KafkaSettings kafka() {
        return kafka;
    }

    public boolean isEmbedded() {
        return broker != null;
    }

    public int partitions() {
        return partitions;
    }

    /** {@code prefix-<run id>-<n>}: unique per run and per call, for groups, application ids and scratch topics. */
    String uniqueName(String prefix) {
        return prefix + "-" + runId + "-" + sequence.incrementAndGet();
    }

    /** Creates the pipeline's topics that are missing (on a given cluster they usually exist already). */
    public void ensurePipelineTopics() {
        TopicProvisioner.ensureTopics(admin, Topics.ALL, partitions, replicationFactor);
    }

    void createScratchTopics(String... names) {
        List<NewTopic> topics = Stream.of(names).map(n -> new NewTopic(n, partitions, replicationFactor)).toList();
        get(admin.createTopics(topics).all(), "create topics " + List.of(names));
    }

    void deleteTopics(String... names) {
        get(admin.deleteTopics(List.of(names)).all(), "delete topics " + List.of(names));
    }

    /**
     * Makes consumer group {@code groupId} (which must not be running) start at the current end of
     * {@code topics}, so a new executor or Streams application skips what earlier scenarios left there.
     */
    void startGroupAtEnd(String groupId, Collection<String> topics) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        endOffsets(topics).forEach((partition, end) -> offsets.put(partition, new OffsetAndMetadata(end)));
        get(admin.alterConsumerGroupOffsets(Namespace.qualify(groupId), offsets).all(), "set the offsets of group " + groupId);
    }

    /** How many records before {@code ends} (end offsets, see {@link #endOffsets}) group {@code groupId} has not committed. */
    long lag(String groupId, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(Namespace.qualify(groupId))
                .partitionsToOffsetAndMetadata(), "list the offsets of group " + groupId);
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            OffsetAndMetadata at = committed.get(end.getKey());
            lag += Math.max(0, end.getValue() - (at == null ? 0 : at.offset()));
        }
        return lag;
    }

    /** The current end offset of every partition of {@code topics}. */
    Map<TopicPartition, Long> endOffsets(Collection<String> topics) {
        Map<String, TopicDescription> described = get(admin.describeTopics(topics).allTopicNames(), "describe " + topics);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        described.values().forEach(d -> d.partitions().forEach(
                p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> ends = new HashMap<>();
        get(admin.listOffsets(latest).all(), "list offsets of " + topics)
                .forEach((partition, info) -> ends.put(partition, info.offset()));
        return ends;
    }

    /** Every registry topic's name. */
    static Set<String> pipelineTopicNames() {
        return Topics.ALL.stream().map(Topic::name).collect(Collectors.toSet());
    }

    private static <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + what, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot " + what + ": " + cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        admin.close();
        if (broker != null) {
            broker.close();
            try (Stream<Path> paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("toolformer bench: could not delete " + dataDir + ": " + e.getMessage());
            }
        }
    }
}
