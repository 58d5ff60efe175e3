package dev.toolformer.common.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro single-object encoding as the Avro specification defines it: {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the writer schema, then the binary body. Any Avro library
 * can produce and read these bytes from the {@code .avsc} files alone. Reading accepts every shipped
 * version of the schema ({@link SchemaHistory}) and resolves it to the current one. Thread-safe.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {
    private static final Map<Class<?>, AvroSerde<?>> CACHE = new ConcurrentHashMap<>();
    private static final Set<String> TRUSTED_PACKAGES = ConcurrentHashMap.newKeySet();

    static {
        // Avro 1.12 refuses to instantiate classes it has not been told to trust (CVE-2024-47561).
        // The generated classes a serde is built for, and their nested types in the same package,
        // are ours: trust exactly those packages, keeping whatever else the JVM was configured with.
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(),
                type -> TRUSTED_PACKAGES.contains(type.getPackageName())));
    }

    private final Class<T> type;
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(Class<T> type) {
        this.type = type;
        TRUSTED_PACKAGES.add(type.getPackageName());
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
        for (Schema older : SchemaHistory.olderVersions(schema.getName())) {
            decoder.addSchema(older);
        }
    }

    /** The shared serde of {@code type}. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        Objects.requireNonNull(type, "type == null");
        return (AvroSerde<T>) CACHE.computeIfAbsent(type, t -> new AvroSerde<>(type));
    }

    public Schema schema() {
        return schema;
    }

    /** The CRC-64-AVRO fingerprint of the current schema's parsing canonical form. */
    public long fingerprint() {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    public byte[] encode(T value) {
        Objects.requireNonNull(value, "value == null");
        try {
            ByteBuffer buffer = encoder.encode(value);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | AvroRuntimeException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Decodes one value, or throws a {@link DecodeException} that says why it cannot. */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            throw new DecodeException(DecodeException.Reason.NULL_VALUE,
                    "no value: expected an Avro-encoded " + type.getSimpleName(), null);
        }
        try {
            return decoder.decode(bytes);
        } catch (BadHeaderException e) {
            throw new DecodeException(DecodeException.Reason.BAD_HEADER, "not Avro single-object encoding: "
                    + e.getMessage() + " (expected " + type.getSimpleName() + ")", e);
        } catch (MissingSchemaException e) {
            throw new DecodeException(DecodeException.Reason.UNKNOWN_SCHEMA, "unknown writer schema for "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        } catch (SecurityException e) {
            throw e; // a setup problem (an untrusted class), not bad data: fail loudly
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(DecodeException.Reason.CORRUPT_BODY, "corrupt " + type.getSimpleName()
                    + " body (" + bytes.length + " bytes): " + rootCause(e), e);
        }
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e.getMessage() + " (" + root + ")";
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : encode(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return decode(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Nothing to configure: the schema comes from the generated class.
    }

    @Override
    public void close() {
        // Shared instance: nothing to release.
    }
}
