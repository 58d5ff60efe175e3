package dev.toolformer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.common.topic.TopicFollower;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ToolResult;
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
        AtomicLong printed = new AtomicLong();
        CountDownLatch enough = new CountDownLatch(1);
        try (TopicFollower follower = TopicFollower.of(kafka.settings(), List.of(Topics.RESULTS.name()), "results")
                .fromBeginning()) {
            follower.start(record -> {
                if (enough.getCount() == 0) {
                    return;
                }
                try {
                    out.println(RecordJson.toJson(RESULTS.decode(record.value())));
                    out.flush();
                } catch (DecodeException e) {
                    System.err.printf("toolformer results: skipping %s-%d@%d: %s%n", record.topic(),
                            record.partition(), record.offset(), e.getMessage());
                }
                if (limit != null && printed.incrementAndGet() >= limit) {
                    enough.countDown();
                }
            });
            if (!follower.awaitPositioned(Duration.ofSeconds(15))) {
                throw new IllegalStateException("cannot read " + Topics.RESULTS.name() + " on "
                        + kafka.settings().bootstrapServers() + ": the topic does not exist or the cluster does not"
                        + " answer");
            }
            while (!enough.await(300, TimeUnit.MILLISECONDS)) {
                if (follower.failure().isPresent()) {
                    throw follower.failure().get();
                }
                if (!follow && follower.caughtUp()) {
                    break;
                }
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
