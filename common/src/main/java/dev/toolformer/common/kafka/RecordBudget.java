package dev.toolformer.common.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The largest record a producer can send, and the size of a record as the producer measures it. The
 * producer checks a record's <em>uncompressed</em> size (key, value, headers and framing) against
 * {@code max.request.size} before compressing it and fails it with a {@code RecordTooLargeException},
 * which no retry fixes; a service that must publish an outcome measures it first and makes it fit.
 * The broker (topic {@code max.message.bytes}) may refuse a smaller record still: callers handle that
 * refusal too.
 */
public final class RecordBudget {
    /** The producer's default {@code max.request.size}. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /**
     * Bytes kept for the batch header (61) and the record's own framing (at most 21: varints, attributes,
     * timestamp delta), as the producer's own upper bound counts them, rounded up.
     */
    static final int FRAMING_BYTES = 128;

    private final int maxRecordBytes;

    private RecordBudget(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The budget of a producer built from {@code producerConfig} (its {@code max.request.size}). */
    public static RecordBudget of(Map<String, Object> producerConfig) {
        Object configured = producerConfig.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        int max;
        try {
            max = configured == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(configured.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ProducerConfig.MAX_REQUEST_SIZE_CONFIG + " must be a number of bytes, was '"
                    + configured + "'");
        }
        return ofMaxRequestSize(max);
    }

    /** The budget of a producer whose {@code max.request.size} is {@code maxRequestSize}. */
    public static RecordBudget ofMaxRequestSize(int maxRequestSize) {
        if (maxRequestSize <= FRAMING_BYTES) {
            throw new IllegalArgumentException(ProducerConfig.MAX_REQUEST_SIZE_CONFIG + " must be > " + FRAMING_BYTES
                    + " bytes, was " + maxRequestSize);
        }
        return new RecordBudget(maxRequestSize);
    }

    /** The producer's {@code max.request.size}. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The most bytes a value may have next to {@code key} and {@code headers}; negative when nothing fits. */
    public int maxValueBytes(String key, Headers headers) {
        return maxRecordBytes - FRAMING_BYTES - utf8Length(key) - size(headers);
    }

    /** The record's size as the producer measures it, plus the framing allowance. */
    public int size(String key, byte[] value, Headers headers) {
        return FRAMING_BYTES + utf8Length(key) + (value == null ? 0 : value.length) + size(headers);
    }

    public boolean fits(String key, byte[] value, Headers headers) {
        return size(key, value, headers) <= maxRecordBytes;
    }

    /** Bytes of the headers' keys and values. */
    public static int size(Headers headers) {
        if (headers == null) {
            return 0;
        }
        int size = 0;
        for (Header header : headers) {
            size += utf8Length(header.key()) + (header.value() == null ? 0 : header.value().length) + 10;
        }
        return size;
    }

    private static int utf8Length(String text) {
        return text == null ? 0 : text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public String toString() {
        return maxRecordBytes + " bytes (" + ProducerConfig.MAX_REQUEST_SIZE_CONFIG + ")";
    }
}
