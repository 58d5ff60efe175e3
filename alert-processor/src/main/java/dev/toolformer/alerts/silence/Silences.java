package dev.toolformer.alerts.silence;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.TopicScan;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.Silence;
import dev.toolformer.schema.SilenceKind;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Silences and acknowledgements: stored in the compacted topic {@code toolformer.silences} (latest entry per
 * id; a tombstone expires one), read by every alert-processor instance and by the CLI.
 */
public final class Silences {
    /** The topic of silences and acknowledgements, keyed by entry id. */
    public static final Topic<Silence> TOPIC = Topics.SILENCES;
    public static final AvroSerde<Silence> SERDE = AvroSerde.of(Silence.class);

    private Silences() {
    }

    /** A silence of every alert whose labels contain {@code matchers}, from {@code startsAt} for {@code duration}. */
    public static Silence silence(Map<String, String> matchers, Instant startsAt, Duration duration, String createdBy,
                                  String comment) {
        if (matchers.isEmpty()) {
            throw new IllegalArgumentException("matchers is empty: expected at least one label=value");
        }
        if (!duration.isPositive()) {
            throw new IllegalArgumentException("duration is " + duration + ": expected > 0");
        }
        return Silence.newBuilder().setId("silence:" + UUID.randomUUID()).setKind(SilenceKind.SILENCE)
                .setMatchers(Map.copyOf(matchers)).setStartsAt(startsAt).setEndsAt(startsAt.plus(duration))
                .setCreatedBy(createdBy).setComment(comment).setCreatedAt(startsAt).build();
    }

    /** An acknowledgement of the current firing episode of the alert {@code fingerprint}, for {@code duration}. */
    public static Silence acknowledgement(String fingerprint, Instant at, Duration duration, String createdBy,
                                          String comment) {
        Objects.requireNonNull(fingerprint, "fingerprint == null");
        return Silence.newBuilder().setId("ack:" + fingerprint).setKind(SilenceKind.ACKNOWLEDGEMENT)
                .setMatchers(Map.of()).setFingerprint(fingerprint).setStartsAt(at).setEndsAt(at.plus(duration))
                .setCreatedBy(createdBy).setComment(comment).setCreatedAt(at).build();
    }

    /** True if {@code entry} is a silence in force at {@code now} whose matchers all appear in {@code labels}. */
    public static boolean silences(Silence entry, Map<String, String> labels, Instant now) {
        return entry.getKind() == SilenceKind.SILENCE && inForce(entry, now)
                && entry.getMatchers().entrySet().stream().allMatch(m -> m.getValue().equals(labels.get(m.getKey())));
    }

    /** True if {@code entry} acknowledges the episode of {@code fingerprint} that began at {@code activeSince}. */
    public static boolean acknowledges(Silence entry, String fingerprint, Instant activeSince, Instant now) {
        return entry.getKind() == SilenceKind.ACKNOWLEDGEMENT && inForce(entry, now)
                && fingerprint.equals(entry.getFingerprint()) && !activeSince.isAfter(entry.getCreatedAt());
    }

    /** The first entry of {@code entries} that silences the labels, if any. */
    public static Optional<Silence> silencing(Iterable<Silence> entries, Map<String, String> labels, Instant now) {
        for (Silence s : entries) {
            if (silences(s, labels, now)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private static boolean inForce(Silence entry, Instant now) {
        return !now.isBefore(entry.getStartsAt()) && now.isBefore(entry.getEndsAt());
    }

    /**
     * Creates the topic (compacted, the broker's default partition count and replication factor) if it is missing,
     * and waits until its partitions have leaders, since a global store fails on a topic without partitions.
     */
    public static void ensureTopic(Admin admin) {
        TopicProvisioner.ensureTopic(admin, TOPIC);
    }

    /** Writes an entry (and waits for it to be stored), with a writer of its own. */
    public static void publish(KafkaSettings kafka, Silence entry) {
        try (Writer writer = new Writer(kafka)) {
            writer.publish(entry);
        }
    }

    /** Expires the entry {@code id} at once by writing its tombstone. */
    public static void expire(KafkaSettings kafka, String id) {
        try (Writer writer = new Writer(kafka)) {
            writer.expire(id);
        }
    }

    /** Every entry currently stored (expired ones included until compaction or their tombstone). */
    public static List<Silence> readAll(KafkaSettings kafka) {
        try (Admin admin = Admin.create(kafka.admin())) {
            ensureTopic(admin);
        }
        Map<String, Silence> latest = new LinkedHashMap<>();
        TopicScan.of(kafka, TOPIC.name()).forEach(r -> {
            if (r.value() == null) {
                latest.remove(r.key());
            } else {
                latest.put(r.key(), SERDE.decode(r.value()));
            }
        });
        return new ArrayList<>(latest.values());
    }

    /**
     * Writes entries through one producer, ensuring the topic once (on the first write): what a host that writes
     * many holds (the admin API); {@link #publish(KafkaSettings, Silence)} and {@link #expire(KafkaSettings, String)}
     * use one for a single write. Thread-safe.
     */
    public static final class Writer implements AutoCloseable {
        private final KafkaSettings kafka;
        private KafkaProducer<String, byte[]> producer;
        private boolean closed;

        public Writer(KafkaSettings kafka) {
            this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        }

        /** Writes an entry (and waits for it to be stored). */
        public void publish(Silence entry) {
            send(entry.getId(), SERDE.encode(entry));
        }

        /** Expires the entry {@code id} at once by writing its tombstone. */
        public void expire(String id) {
            send(id, null);
        }

        private synchronized void send(String key, byte[] value) {
            if (closed) {
                throw new IllegalStateException("the writer of " + TOPIC.name() + " is closed");
            }
            if (producer == null) {
                try (Admin admin = Admin.create(kafka.admin())) {
                    ensureTopic(admin);
                }
                producer = new KafkaProducer<>(kafka.producer("toolformer-silences"));
            }
            try {
                producer.send(new ProducerRecord<>(TOPIC.name(), key, value)).get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing to " + TOPIC.name(), e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot write to " + TOPIC.name() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (producer != null) {
                producer.close(Duration.ofSeconds(10));
            }
        }
    }
}
