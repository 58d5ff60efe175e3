package dev.toolformer.alerts;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The store and changelog format of {@link AlertStatus}: a version byte (3), the phase ordinal,
 * active_since, last evaluated and clear_since as epoch ms ({@link Long#MIN_VALUE} for none), the value,
 * then the series labels as a count and UTF pairs. Version 2 (no clear_since) and version 1 (no
 * clear_since, value or labels) are still read, so a changelog written by an older release restores.
 */
final class AlertStatusSerde implements Serde<AlertStatus>, Serializer<AlertStatus>, Deserializer<AlertStatus> {
    private static final byte V1 = 1;
    private static final byte V2 = 2;
    private static final byte V3 = 3;
    private static final int V1_SIZE = 2 + 2 * Long.BYTES;
    private static final long NONE = Long.MIN_VALUE;

    @Override
    public byte[] serialize(String topic, AlertStatus status) {
        if (status == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(V3);
            out.writeByte(status.phase().ordinal());
            out.writeLong(epochMs(status.activeSince()));
            out.writeLong(status.lastEvaluated().toEpochMilli());
            out.writeLong(epochMs(status.clearSince()));
            out.writeDouble(status.value());
            out.writeShort(status.series().size());
            for (Map.Entry<String, String> label : status.series().entrySet()) {
                out.writeUTF(label.getKey());
                out.writeUTF(label.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public AlertStatus deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length == V1_SIZE && bytes[0] == V1) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, V1_SIZE - 1);
            AlertStatus.Phase phase = AlertStatus.Phase.values()[buffer.get()];
            Instant activeSince = instant(buffer.getLong());
            return new AlertStatus(phase, activeSince, Instant.ofEpochMilli(buffer.getLong()));
        }
        if (bytes.length < V1_SIZE || bytes[0] != V2 && bytes[0] != V3) {
            throw new IllegalStateException("alert state in " + topic + " has " + bytes.length
                    + " bytes, version " + (bytes.length == 0 ? "none" : bytes[0]) + ": expected version " + V1
                    + ", " + V2 + " or " + V3);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
            AlertStatus.Phase phase = AlertStatus.Phase.values()[in.readByte()];
            Instant activeSince = instant(in.readLong());
            Instant lastEvaluated = Instant.ofEpochMilli(in.readLong());
            Instant clearSince = bytes[0] == V3 ? instant(in.readLong()) : null;
            double value = in.readDouble();
            Map<String, String> series = new HashMap<>();
            for (int n = in.readShort(); n > 0; n--) {
                series.put(in.readUTF(), in.readUTF());
            }
            return new AlertStatus(phase, activeSince, lastEvaluated, value, series, clearSince);
        } catch (IOException e) {
            throw new IllegalStateException("corrupt alert state in " + topic + ": " + e.getMessage(), e);
        }
    }

    private static long epochMs(Instant instant) {
        return instant == null ? NONE : instant.toEpochMilli();
    }

    private static Instant instant(long epochMs) {
        return epochMs == NONE ? null : Instant.ofEpochMilli(epochMs);
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
