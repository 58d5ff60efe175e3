package dev.toolformer.bench.harness;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

/**
 * The physical limit the pipeline is compared with: a bare two-hop relay — producer → topic →
 * consumer that re-produces → topic → consumer — with the pipeline's client settings (acks=all,
 * idempotence, linger 5 ms, lz4, read_committed, manual commits every 500 ms) and records that are
 * encoded echo ToolRequests, with the same correlation header. Two scratch topics, deleted on close.
 */
final class Relay implements AutoCloseable {
    private static final String SENT_HEADER = "bench_sent_ns";
    private static final int DISTINCT_RECORDS = 4096;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long COMMIT_INTERVAL_NS = Duration.ofMillis(500).toNanos();

    private final BenchCluster cluster;
    private final String in;
    private final String out;
    private final String[] keys = new String[DISTINCT_RECORDS];
    private final byte[][] values = new byte[DISTINCT_RECORDS][];
    private final KafkaProducer<String, byte[]> source;
    private final KafkaProducer<String, byte[]> relayProducer;
    private final KafkaConsumer<String, byte[]> relayConsumer;
    private final KafkaConsumer<String, byte[]> sink;
    private final AtomicLong sendErrors = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Phase current;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    Relay(BenchCluster cluster) {
        this.cluster = cluster;
        this.in = cluster.uniqueName("toolformer-bench-relay-in");
        this.out = cluster.uniqueName("toolformer-bench-relay-out");
        cluster.createScratchTopics(in, out);
        fillRecords();
        var kafka = cluster.kafka();
        source = new KafkaProducer<>(kafka.producer(in + "-source"));
        relayProducer = new KafkaProducer<>(kafka.producer(in + "-relay"));
        relayConsumer = new KafkaConsumer<>(kafka.consumer(cluster.uniqueName("toolformer-bench-relay"), in + "-relay"));
        sink = new KafkaConsumer<>(kafka.consumer(null, out + "-sink"));
        try {
            probe(source, in);
            probe(relayProducer, out);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        threads.add(Thread.ofPlatform().name("bench-relay").start(this::relay));
        threads.add(Thread.ofPlatform().name("bench-relay-sink").start(this::sink));
    }

    /** Size of the records relayed, in bytes (an encoded echo ToolRequest). */
    int recordBytes() {
        return values[0].length;
    }

    /**
     * Sends {@code records} records at {@code ratePerSecond} (infinite: as fast as the producer takes
     * them) and waits until all of them came out of the second hop.
     */
    Phase run(long records, double ratePerSecond, Duration drain, Progress progress, String task)
            throws InterruptedException {
        Phase phase = new Phase();
        current = phase;
        Progress.Bar bar = progress.bar(task, records, " rec", phase::received);
        try {
            for (long i = 0; i < records; i++) {
                phase.pace(i, ratePerSecond);
                int k = (int) (i % DISTINCT_RECORDS);
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(in, keys[k], values[k]);
                record.headers().add(ToolformerClient.CORRELATION_ID_HEADER, keys[k].getBytes(StandardCharsets.UTF_8));
                record.headers().add(SENT_HEADER, ByteBuffer.allocate(8).putLong(System.nanoTime()).array());
                source.send(record, (metadata, error) -> {
                    if (error != null) {
                        sendErrors.incrementAndGet();
                    }
                });
            }
            source.flush();
            await(phase, records, drain);
        } finally {
            bar.close();
        }
        return phase;
    }

    private void fillRecords() {
        AvroSerde<ToolRequest> serde = AvroSerde.of(ToolRequest.class);
        for (int i = 0; i < DISTINCT_RECORDS; i++) {
            String id = UUID.randomUUID().toString();
            keys[i] = id;
            // What the load generator's echo requests look like.
            values[i] = serde.encode(ToolRequest.newBuilder()
                    .setRequestId(id).setCorrelationId(id).setTool("echo")
                    .setArgumentsJson("{\"message\":\"ping " + (i * 7919 % 1_000_000) + "\"}")
                    .setTimeoutMs(5_000L).setSubmittedAt(Instant.now())
                    .setProvider("local").setModel("none").setSpeculative(i % 5 == 0)
                    .build());
        }
    }

    private void relay() {
        try {
            relayConsumer.subscribe(List.of(in));
            long lastCommit = System.nanoTime();
            while (running) {
                for (ConsumerRecord<String, byte[]> r : relayConsumer.poll(POLL)) {
                    relayProducer.send(new ProducerRecord<>(out, null, r.key(), r.value(), r.headers()));
                }
                if (System.nanoTime() - lastCommit >= COMMIT_INTERVAL_NS) {
                    lastCommit = System.nanoTime();
                    relayConsumer.commitAsync();
                }
            }
        } catch (WakeupException e) {
            // close()
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            relayConsumer.close();
        }
    }

    private void sink() {
        try {
            List<TopicPartition> partitions = partitionsOf(out);
            sink.assign(partitions);
            sink.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<String, byte[]> r : sink.poll(POLL)) {
                    Header sent = r.headers().lastHeader(SENT_HEADER);
                    Phase phase = current;
                    if (sent != null && phase != null) {
                        phase.received(System.nanoTime() - ByteBuffer.wrap(sent.value()).getLong());
                    }
                }
            }
        } catch (WakeupException e) {
            // close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            sink.close();
        }
    }

    /**
     * One record to each partition of a topic just created, waiting for each acknowledgement. Until a
     * partition's leader has taken over, an idempotent producer with several batches in flight can have
     * its first batch rejected and a later one accepted; the first one then fails forever with
     * OutOfOrderSequenceException. One batch at a time cannot be overtaken. The sink skips probes
     * (they carry no send time).
     */
    private static void probe(KafkaProducer<String, byte[]> producer, String topic) {
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            var partitions = producer.partitionsFor(topic);
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                partitions = producer.partitionsFor(topic);
            }
            for (var partition : partitions) {
                producer.send(new ProducerRecord<>(topic, partition.partition(), "probe", new byte[0]))
                        .get(60, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write to " + topic + ": " + e.getMessage(), e);
        }
    }

    /** The partitions of a topic just created, once the broker's metadata has them. */
    private List<TopicPartition> partitionsOf(String topic) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<TopicPartition> partitions = sink.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (!partitions.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no partitions after 60 s");
            }
            Thread.sleep(50);
        }
    }

    private void await(Phase phase, long records, Duration drain) throws InterruptedException {
        long deadline = System.nanoTime() + drain.toNanos();
        while (!phase.await(records, Duration.ofMillis(500))) {
            if (failure != null) {
                throw new IllegalStateException("relay: " + failure.getMessage(), failure);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("relay: " + phase.received() + " of " + records + " records came out within "
                        + drain.toSeconds() + " s of the last send (send errors: " + sendErrors.get() + ")");
            }
        }
    }

    @Override
    public void close() {
        running = false;
        relayConsumer.wakeup();
        sink.wakeup();
        if (threads.isEmpty()) {
            relayConsumer.close();
            sink.close();
        }
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        source.close(Duration.ofSeconds(10));
        relayProducer.close(Duration.ofSeconds(10));
        try {
            cluster.deleteTopics(in, out);
        } catch (IllegalStateException e) {
            System.err.println("toolformer bench: " + e.getMessage());
        }
    }
}
