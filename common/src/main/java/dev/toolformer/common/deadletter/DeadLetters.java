package dev.toolformer.common.deadletter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

import dev.toolformer.common.kafka.RecordBudget;
import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Builds the {@code toolformer.dlq} record of a consumed record that cannot be processed: the
 * original bytes, where they came from and why. Nothing in it carries a secret: header values are kept as
 * UTF-8 text passed through {@link Redactor} (headers named like secrets are masked whole), and secret-looking
 * spans of the original key and value are overwritten with {@code '*'} of the same length, so that the
 * bytes still decode and the record can still be replayed.
 */
public final class DeadLetters {
    private DeadLetters() {
    }

    /** The dead-letter reason of a decoding failure. */
    public static DeadLetterReason reasonOf(Exception error) {
        if (!(error instanceof DecodeException decode)) {
            return DeadLetterReason.UNDECODABLE;
        }
        return switch (decode.reason()) {
            case NULL_VALUE -> DeadLetterReason.NULL_VALUE;
            case UNKNOWN_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
            case BAD_HEADER, CORRUPT_BODY -> DeadLetterReason.UNDECODABLE;
        };
    }

    /**
     * The most bytes a dead letter's encoded value takes unless its publisher says otherwise: the producer's
     * default {@code max.request.size} less room for the record key and framing.
     */
    public static final int DEFAULT_MAX_BYTES = RecordBudget.DEFAULT_MAX_REQUEST_SIZE - 16 * 1024;
    /** Longest original key kept whole; a longer one is cut (its size and hash go into the detail). */
    static final int MAX_KEY_BYTES = 4 * 1024;
    /** Longest detail kept when the letter has to be cut to fit. */
    static final int MAX_DETAIL_CHARS = 2 * 1024;
    /** Room for the cut-value fields (size, hash, union branches) and the serde's header. */
    private static final int RESERVE_BYTES = 128;
    private static final AvroSerde<DeadLetter> SERDE = AvroSerde.of(DeadLetter.class);

    /**
     * A dead letter whose encoded value takes at most {@link #DEFAULT_MAX_BYTES}.
     *
     * @param service who gave up on the record, e.g. {@code executor:executor-1a2b}
     */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                                DeadLetterReason reason, String detail, int attempts, String service, Instant now) {
        return of(topic, partition, offset, key, value, headers, reason, detail, attempts, service, now,
                DEFAULT_MAX_BYTES);
    }

    /**
     * A dead letter whose encoded value takes at most {@code maxBytes}: a dead letter too large to publish
     * would vanish, so an original value that does not fit is cut to the bytes that do, and the letter
     * says so: {@code original_value_size} is the whole value's size and {@code original_value_sha256} its
     * hash (of the bytes as read, before masking), which identify the record to replay from its topic. A
     * key longer than {@value #MAX_KEY_BYTES} bytes is cut too; when the headers and the detail alone
     * leave too little room, the detail is cut and the headers replaced by one that says how many were
     * dropped.
     *
     * @param service who gave up on the record, e.g. {@code executor:executor-1a2b}
     */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                                DeadLetterReason reason, String detail, int attempts, String service, Instant now,
                                int maxBytes) {
        Objects.requireNonNull(topic, "topic == null");
        Objects.requireNonNull(reason, "reason == null");
        Map<String, String> copied = new HashMap<>();
        if (headers != null) {
            for (Header header : headers) {
                String text = header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
                copied.put(header.key(), Redactor.isSecretName(header.key()) ? Redactor.MASK : Redactor.redact(text));
            }
        }
        String why = Redactor.redact(String.valueOf(detail));
        byte[] keptKey = key == null ? null : Redactor.maskInPlace(key.clone());
        if (keptKey != null && keptKey.length > MAX_KEY_BYTES) {
            why = why + " [original key of " + key.length + " bytes cut to " + MAX_KEY_BYTES + ", sha256 "
                    + sha256(key) + "]";
            keptKey = Arrays.copyOf(keptKey, MAX_KEY_BYTES);
        }
        DeadLetter letter = DeadLetter.newBuilder()
                .setOriginalTopic(topic)
                .setOriginalPartition(partition)
                .setOriginalOffset(offset)
                .setOriginalKey(keptKey == null ? null : ByteBuffer.wrap(keptKey))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(Redactor.maskInPlace(value.clone())))
                .setOriginalHeaders(copied)
                .setReason(reason)
                .setDetail(why)
                .setAttempts(attempts)
                .setService(Objects.requireNonNull(service, "service == null"))
                .setFailedAt(now)
                .build();
        return fit(letter, value, maxBytes);
    }

    /** {@code letter}, cut as {@link #of} describes when its encoding exceeds {@code maxBytes}. */
    static DeadLetter fit(DeadLetter letter, byte[] originalValue, int maxBytes) {
        int size = SERDE.encode(letter).length;
        if (size <= maxBytes) {
            return letter;
        }
        DeadLetter.Builder cut = DeadLetter.newBuilder(letter);
        int valueLength = originalValue == null ? 0 : originalValue.length;
        int rest = size - valueLength;
        if (rest + RESERVE_BYTES > maxBytes / 2) {
            String detail = letter.getDetail();
            int headers = letter.getOriginalHeaders().size();
            cut.setDetail(detail.length() <= MAX_DETAIL_CHARS ? detail : detail.substring(0, MAX_DETAIL_CHARS) + "...")
                    .setOriginalHeaders(headers == 0 ? Map.of() : Map.of("toolformer.headers-dropped",
                            headers + " headers dropped to fit the dead letter in " + maxBytes + " bytes"));
            rest = SERDE.encode(cut.setOriginalValue(null).build()).length;
        }
        int keep = Math.max(0, maxBytes - rest - RESERVE_BYTES);
        if (originalValue != null && keep < valueLength) {
            ByteBuffer masked = letter.getOriginalValue().duplicate();
            byte[] head = new byte[keep];
            masked.get(head);
            cut.setOriginalValue(ByteBuffer.wrap(head))
                    .setOriginalValueSize((long) valueLength)
                    .setOriginalValueSha256(sha256(originalValue));
        } else {
            cut.setOriginalValue(letter.getOriginalValue());
        }
        return cut.build();
    }

    /** The service a Streams app's dead letters name: its {@code application.id}, else {@code streams}. */
    static String streamsService(Map<String, ?> configs) {
        Object applicationId = configs.get(StreamsConfig.APPLICATION_ID_CONFIG);
        return applicationId == null ? "streams" : applicationId.toString();
    }

    /** The {@code toolformer.dlq} record of {@code letter}, keyed by the original key. */
    static ProducerRecord<byte[], byte[]> record(byte[] key, DeadLetter letter) {
        return new ProducerRecord<>(Topics.DLQ.name(), key, SERDE.encode(letter));
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
