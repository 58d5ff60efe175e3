package dev.toolformer.executor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.pricing.Pricing;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Namespace;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.SpeculationOutcome;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Drives executors on the shared test broker: publishes requests and commands, and collects the
 * results and dead letters published after it was created (other tests' records are kept but never
 * asked for: tests look up their own request ids).
 */
final class ExecutorHarness implements AutoCloseable {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);

    private final KafkaTestCluster cluster;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, List<ToolResult>> results = new ConcurrentHashMap<>();
    private final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Set<String> positionedGroups = ConcurrentHashMap.newKeySet();
    private final List<TopicPartition> requestPartitions = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    ExecutorHarness(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.producer = new KafkaProducer<>(cluster.settings().producer(cluster.uniqueName("harness")));
        this.consumer = new KafkaConsumer<>(cluster.settings().consumer(null, cluster.uniqueName("harness")));
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.RESULTS.name(), Topics.DLQ.name())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.partitionsFor(Topics.REQUESTS.name())
                .forEach(p -> requestPartitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        thread = Thread.ofPlatform().daemon().name("harness").start(this::poll);
    }

    private void poll() {
        while (!closed) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (r.topic().equals(Topics.RESULTS.name())) {
                    ToolResult result = RESULTS.decode(r.value());
                    results.computeIfAbsent(result.getRequestId(), id -> new CopyOnWriteArrayList<>()).add(result);
                } else {
                    deadLetters.add(DEAD_LETTERS.decode(r.value()));
                }
            }
        }
        consumer.close();
    }

    /**
     * A started executor. The first one of a group makes the group begin at the current end of the
     * requests topic, so it never runs what earlier tests left there. Closed with the harness.
     */
    ToolExecutor start(ExecutorConfig config, ToolRegistry tools, MeterRegistry meters)
            throws Exception {
        if (positionedGroups.add(config.groupId())) {
            commitEndOffsets(config.groupId());
        }
        ToolExecutor executor = new ToolExecutor(config, cluster.settings(), tools, Pricing.defaults(), meters);
        closeables.add(() -> executor.close(Duration.ofSeconds(1)));
        executor.start();
        return executor;
    }

    private void commitEndOffsets(String groupId) throws Exception {
        try (Admin admin = Admin.create(cluster.settings().admin())) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            requestPartitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
                    .forEach((partition, info) -> ends.put(partition, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(Namespace.qualify(groupId), ends).all().get(30, TimeUnit.SECONDS);
        }
    }

    ExecutorConfig.Builder config(String prefix) {
        return ExecutorConfig.builder(cluster.uniqueName(prefix)).groupId(cluster.uniqueName(prefix + "-group"))
                .retryBackoff(Duration.ofMillis(10)).heartbeatInterval(Duration.ofSeconds(1));
    }

    KafkaSettings settings() {
        return cluster.settings();
    }

    void send(ToolRequest request) {
        producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), request.getRequestId(), REQUESTS.encode(request)));
    }

    void send(Collection<ToolRequest> requests) {
        requests.forEach(this::send);
        producer.flush();
    }

    /** Raw bytes to one partition, for poison records and ordering around them. */
    void sendRaw(int partition, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), partition, key, value)).get(30, TimeUnit.SECONDS);
    }

    void sendToPartition(int partition, ToolRequest request) throws Exception {
        sendRaw(partition, request.getRequestId(), REQUESTS.encode(request));
    }

    void command(String target, ControlAction action, ControlCommand.Builder details) throws Exception {
        ControlCommand command = details.setCommandId(cluster.uniqueName("command")).setTarget(target)
                .setAction(action).setIssuedAt(Instant.now()).setIssuedBy("test").build();
        producer.send(new ProducerRecord<>(Topics.CONTROL.name(), target, AvroSerde.of(ControlCommand.class)
                .encode(command))).get(30, TimeUnit.SECONDS);
    }

    void outcome(String requestId, boolean used) throws Exception {
        SpeculationOutcome outcome = SpeculationOutcome.newBuilder().setRequestId(requestId).setUsed(used)
                .setDecidedAt(Instant.now()).setReason("test").build();
        producer.send(new ProducerRecord<>(Topics.SPECULATION_OUTCOMES.name(), requestId,
                AvroSerde.of(SpeculationOutcome.class).encode(outcome))).get(30, TimeUnit.SECONDS);
    }

    /** Every result of the request, duplicates included. */
    List<ToolResult> results(String requestId) {
        return results.getOrDefault(requestId, List.of());
    }

    ToolResult result(String requestId) {
        List<ToolResult> all = results(requestId);
        return all.isEmpty() ? null : all.get(0);
    }

    /** How many of these requests have at least one result. */
    long answered(Collection<String> requestIds) {
        return requestIds.stream().filter(id -> results.containsKey(id)).count();
    }

    /** Results beyond the first, over these requests. */
    long duplicates(Collection<String> requestIds) {
        return requestIds.stream().mapToLong(id -> Math.max(0, results(id).size() - 1)).sum();
    }

    /** Dead letters whose original key is one of these. */
    List<DeadLetter> deadLetters(Set<String> keys) {
        return deadLetters.stream().filter(d -> d.getOriginalKey() != null
                        && keys.contains(new String(bytes(d.getOriginalKey()), StandardCharsets.UTF_8)))
                .collect(Collectors.toList());
    }

    static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        closed = true;
        thread.join(Duration.ofSeconds(5));
        producer.close(Duration.ofSeconds(5));
    }
}
