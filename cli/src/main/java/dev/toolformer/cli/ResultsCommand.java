package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ToolResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code toolformer results}: print results as JSON lines. */
@Command(name = "results", mixinStandardHelpOptions = true,
        description = "Print the results on toolformer.results as JSON lines, oldest first.")
final class ResultsCommand implements Callable<Integer> {
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new results until interrupted.")
    boolean follow;

    @Option(names = "--limit", paramLabel = "N", description = "Stop after N results.")
    Long limit;

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, was " + limit);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                kafka.settings().consumer(null, "toolformer-results-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS.name(), Duration.ofSeconds(15))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long printed = 0;
            while (true) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(300))) {
                    try {
                        out.println(RecordJson.toJson(RESULTS.decode(record.value())));
                    } catch (DecodeException e) {
                        System.err.printf("toolformer results: skipping %s-%d@%d: %s%n", record.topic(),
                                record.partition(), record.offset(), e.getMessage());
                    }
                    if (limit != null && ++printed >= limit) {
                        out.flush();
                        return 0;
                    }
                }
                out.flush();
                if (!follow && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    return 0;
                }
            }
        }
    }
}
