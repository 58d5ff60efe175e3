package dev.toolformer.alerts;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The store and changelog format of {@link AlertStatus}: a version byte (1), the phase ordinal,
 * active_since and last evaluated as epoch ms ({@link Long#MIN_VALUE} for no active_since).
 */
final class AlertStatusSerde implements Serde<AlertStatus>, Serializer<AlertStatus>, Deserializer<AlertStatus> {
    private static final byte VERSION = 1;
    private static final int SIZE = 2 + 2 * Long.BYTES;
    private static final long NONE = Long.MIN_VALUE;

    @Override
    public byte[] serialize(String topic, AlertStatus status) {
        if (status == null) {
            return null;
        }
        return ByteBuffer.allocate(SIZE)
                .put(VERSION)
                .put((byte) status.phase().ordinal())
                .putLong(status.activeSince() == null ? NONE : status.activeSince().toEpochMilli())
                .putLong(status.lastEvaluated().toEpochMilli())
                .array();
    }

    @Override
    public AlertStatus deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length != SIZE || bytes[0] != VERSION) {
            throw new IllegalStateException("alert state in " + topic + " has " + bytes.length
                    + " bytes, version " + (bytes.length == 0 ? "none" : bytes[0]) + ": expected " + SIZE
                    + " bytes of version " + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, SIZE - 1);
        AlertStatus.Phase phase = AlertStatus.Phase.values()[buffer.get()];
        long activeSince = buffer.getLong();
        return new AlertStatus(phase, activeSince == NONE ? null : Instant.ofEpochMilli(activeSince),
                Instant.ofEpochMilli(buffer.getLong()));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Nothing to configure: the format is fixed.
    }

    @Override
    public void close() {
        // Stateless: nothing to release.
    }

    @Override
    public Serializer<AlertStatus> serializer() {
        return this;
    }

    @Override
    public Deserializer<AlertStatus> deserializer() {
        return this;
    }
}
