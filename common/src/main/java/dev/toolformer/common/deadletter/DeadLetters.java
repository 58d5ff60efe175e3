package dev.toolformer.common.deadletter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import dev.toolformer.common.security.Redactor;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

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
     * @param service who gave up on the record, e.g. {@code executor:executor-1a2b}
     */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                                DeadLetterReason reason, String detail, int attempts, String service, Instant now) {
        Objects.requireNonNull(topic, "topic == null");
        Objects.requireNonNull(reason, "reason == null");
        Map<String, String> copied = new HashMap<>();
        if (headers != null) {
            for (Header header : headers) {
                String text = header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
                copied.put(header.key(), Redactor.isSecretName(header.key()) ? Redactor.MASK : Redactor.redact(text));
            }
        }
        return DeadLetter.newBuilder()
                .setOriginalTopic(topic)
                .setOriginalPartition(partition)
                .setOriginalOffset(offset)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(Redactor.maskInPlace(key)))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(Redactor.maskInPlace(value)))
                .setOriginalHeaders(copied)
                .setReason(reason)
                .setDetail(Redactor.redact(String.valueOf(detail)))
                .setAttempts(attempts)
                .setService(Objects.requireNonNull(service, "service == null"))
                .setFailedAt(now)
                .build();
    }
}
