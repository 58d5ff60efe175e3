package dev.toolformer.common.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
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
 *
 * <p>The body is read straight from the byte array, so Avro knows how many bytes remain and refuses a
 * string, bytes or collection length that claims more: a corrupt length cannot make it allocate more
 * than the value's own size (Avro's {@code BinaryMessageDecoder} reads through a stream, where that
 * check does not apply, and allocated a gigabyte for a 15-byte value; see {@code AvroSerdeFuzzTest}).
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

    /** {@code C3 01}, then the 8-byte fingerprint of the writer schema. */
    private static final int HEADER_LENGTH = 10;

    private final Class<T> type;
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    /** A reader from each known writer schema to the current one, by the writer's fingerprint. */
    private final Map<Long, DatumReader<T>> readers;

    private AvroSerde(Class<T> type) {
        this.type = type;
        TRUSTED_PACKAGES.add(type.getPackageName());
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        Map<Long, DatumReader<T>> byFingerprint = new HashMap<>();
        byFingerprint.put(SchemaNormalization.parsingFingerprint64(schema), reader(model, schema, schema));
        for (Schema older : SchemaHistory.olderVersions(schema.getName())) {
            byFingerprint.putIfAbsent(SchemaNormalization.parsingFingerprint64(older), reader(model, older, schema));
        }
        this.readers = Map.copyOf(byFingerprint);
    }

    @SuppressWarnings("unchecked")
    private static <T> DatumReader<T> reader(SpecificData model, Schema writer, Schema reader) {
        return (DatumReader<T>) model.createDatumReader(writer, reader);
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
        DatumReader<T> reader = readerFor(bytes);
        try {
            // A fresh decoder over the array itself (not a stream): Avro then checks every declared
            // length and item count against the bytes that remain before it allocates for them.
            return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH,
                    bytes.length - HEADER_LENGTH, null));
        } catch (SecurityException e) {
            throw e; // a setup problem (an untrusted class), not bad data: fail loudly
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(DecodeException.Reason.CORRUPT_BODY, "corrupt " + type.getSimpleName()
                    + " body (" + bytes.length + " bytes): " + rootCause(e), e);
        }
    }

    /** The reader for the writer schema the header names; the messages are those of Avro's own decoder. */
    private DatumReader<T> readerFor(byte[] bytes) {
        if (bytes.length < HEADER_LENGTH) {
            throw badHeader("Not enough header bytes");
        }
        if (bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
            throw badHeader(String.format("Unrecognized header bytes: 0x%02X 0x%02X", bytes[0], bytes[1]));
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        DatumReader<T> reader = readers.get(fingerprint);
        if (reader == null) {
            throw new DecodeException(DecodeException.Reason.UNKNOWN_SCHEMA, "unknown writer schema for "
                    + type.getSimpleName() + ": Cannot resolve schema for fingerprint: " + fingerprint, null);
        }
        return reader;
    }

    private DecodeException badHeader(String problem) {
        return new DecodeException(DecodeException.Reason.BAD_HEADER, "not Avro single-object encoding: " + problem
                + " (expected " + type.getSimpleName() + ")", null);
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
