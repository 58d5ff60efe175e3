package dev.toolformer.common.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.management.ThreadMXBean;
import dev.toolformer.schema.ToolRequest;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * Fuzz test of {@link AvroSerde#decode}: for any bytes it returns a valid {@link ToolRequest} or throws a
 * {@link DecodeException} whose reason matches the header, never another exception, and it never
 * allocates more than a small multiple of its input (a corrupt length or item count must not make it
 * allocate gigabytes).
 *
 * <p>A plain {@code ./mvnw verify} runs it in Jazzer's regression mode: once on the empty input and once
 * on each file in {@code src/test/resources/dev/toolformer/common/serde/AvroSerdeFuzzTestInputs/} (valid,
 * truncated and corrupt encodings, and every finding so far). To fuzz for real (60 s here; the
 * annotation's 10 s when {@code jazzer.max_duration} is not given), from the repository root:
 * <pre>
 * JAZZER_FUZZ=1 ./mvnw -B -o -pl common -am verify -Dtest=AvroSerdeFuzzTest -Djazzer.max_duration=60s \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=NONE -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 * A crashing input is written to the inputs directory above (commit it: it becomes a regression
 * seed) and the generated corpus to {@code common/.cifuzz-corpus/} (not committed).
 */
class AvroSerdeFuzzTest {
    private static final AvroSerde<ToolRequest> REQUESTS = AvroSerde.of(ToolRequest.class);
    /** Fingerprints of every schema version the serde reads: the current one and those in SchemaHistory. */
    private static final Set<Long> KNOWN_FINGERPRINTS = knownFingerprints();
    private static final ThreadMXBean THREADS =
            (ThreadMXBean) ManagementFactory.getThreadMXBean();
    /**
     * What one decode may allocate beyond {@link #ALLOCATION_PER_INPUT_BYTE} per input byte: the decoder,
     * the record, an exception and its message. A corrupt length that is honoured allocates far more.
     */
    private static final long ALLOCATION_ALLOWANCE = 1L << 20;
    private static final long ALLOCATION_PER_INPUT_BYTE = 64;

    static {
        // Loading (and, when fuzzing, instrumenting) classes and building each writer schema's resolver
        // allocate once per JVM, on the thread that first decodes; that is not the input's doing.
        for (Schema writer : SchemaHistory.olderVersions("ToolRequest")) {
            warmUp(encodeWith(writer, AvroSerdeTest.fullRequest()));
        }
        warmUp(REQUESTS.encode(AvroSerdeTest.fullRequest()));
    }

    /** {@code request} in single-object encoding with an older writer schema (the fields that it has). */
    private static byte[] encodeWith(Schema writer, ToolRequest request) {
        GenericRecord record = new GenericData.Record(writer);
        for (Schema.Field field : writer.getFields()) {
            Object value = request.get(request.getSchema().getField(field.name()).pos());
            record.put(field.name(), value instanceof Instant instant ? instant.toEpochMilli() : value);
        }
        try {
            ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record);
            return Arrays.copyOfRange(buffer.array(), buffer.arrayOffset() + buffer.position(),
                    buffer.arrayOffset() + buffer.limit());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes the bytes, then each of their truncations that still has a header. */
    private static void warmUp(byte[] bytes) {
        for (int length = bytes.length; length >= 10; length--) {
            decode(Arrays.copyOf(bytes, length));
        }
    }

    // No @Timeout: JUnit would apply it to the whole fuzzing run, not to one input. A hanging input is
    // reported by libFuzzer's own per-input timeout.
    @FuzzTest(maxDuration = "10s")
    void shouldDecodeOrRejectAnyBytesWithinBoundedMemory(byte[] bytes) {
        assumeTrue(THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation is not measured on this JVM");
        long before = THREADS.getCurrentThreadAllocatedBytes();
        Object outcome = decode(bytes);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated)
                .as("bytes allocated to decode %d input bytes", bytes.length)
                .isLessThanOrEqualTo(ALLOCATION_ALLOWANCE + ALLOCATION_PER_INPUT_BYTE * bytes.length);
        if (outcome instanceof ToolRequest request) {
            assertValid(request, bytes);
        } else {
            DecodeException e = (DecodeException) outcome;
            DecodeException.Reason headerFault = headerFault(bytes);
            assertThat(e.reason()).as(e.getMessage())
                    .isEqualTo(headerFault != null ? headerFault : DecodeException.Reason.CORRUPT_BODY);
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    /**
     * The hand-made seeds say in their names what they are (findings that Jazzer adds are named
     * {@code crash-...} and are only run by the fuzz test), so a schema change cannot quietly turn them
     * into inputs that no longer reach the body.
     */
    @Test
    void shouldKeepEachSeedWhatItsNameSays() throws IOException, URISyntaxException {
        Path seeds = Path.of(AvroSerdeFuzzTest.class.getResource(
                "AvroSerdeFuzzTestInputs/shouldDecodeOrRejectAnyBytesWithinBoundedMemory").toURI());
        Map<String, DecodeException.Reason> reasons = Map.of("truncated-", DecodeException.Reason.CORRUPT_BODY,
                "corrupt-", DecodeException.Reason.CORRUPT_BODY, "unknown-", DecodeException.Reason.UNKNOWN_SCHEMA,
                "bad-header-", DecodeException.Reason.BAD_HEADER);
        List<String> checked = new ArrayList<>();
        try (Stream<Path> files = Files.list(seeds)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                byte[] bytes = Files.readAllBytes(file);
                if (name.startsWith("valid-")) {
                    assertThat(REQUESTS.decode(bytes)).as(name).isNotNull();
                    checked.add(name);
                }
                reasons.forEach((prefix, reason) -> {
                    if (name.startsWith(prefix)) {
                        assertThatThrownBy(() -> REQUESTS.decode(bytes)).as(name)
                                .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
                        checked.add(name);
                    }
                });
            }
        }
        assertThat(checked).contains("valid-full-request", "valid-minimal-request", "valid-v1-request",
                "truncated-in-metadata", "corrupt-huge-string-length", "corrupt-huge-map-count");
    }

    /** The decoded record, or the DecodeException; any other throwable fails the test as it is. */
    private static Object decode(byte[] bytes) {
        try {
            return REQUESTS.decode(bytes);
        } catch (DecodeException e) {
            return e;
        }
    }

    /** A decoded request has its required fields and survives a round trip through the encoder. */
    private static void assertValid(ToolRequest request, byte[] bytes) {
        assertThat(headerFault(bytes)).as("decoded although the header is wrong").isNull();
        assertThat(request.getRequestId()).isNotNull();
        assertThat(request.getCorrelationId()).isNotNull();
        assertThat(request.getTool()).isNotNull();
        assertThat(request.getArgumentsJson()).isNotNull();
        assertThat(request.getSubmittedAt()).isNotNull();
        assertThat(request.getMetadata()).isNotNull().doesNotContainKey(null).doesNotContainValue(null);
        assertThat(REQUESTS.decode(REQUESTS.encode(request))).isEqualTo(request);
    }

    /** What is wrong with the header (the reason the bytes must be refused for), or null when nothing is. */
    static DecodeException.Reason headerFault(byte[] bytes) {
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0xC3 || bytes[1] != 0x01) {
            return DecodeException.Reason.BAD_HEADER;
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return KNOWN_FINGERPRINTS.contains(fingerprint) ? null : DecodeException.Reason.UNKNOWN_SCHEMA;
    }

    private static Set<Long> knownFingerprints() {
        Set<Long> fingerprints = new HashSet<>();
        fingerprints.add(SchemaNormalization.parsingFingerprint64(ToolRequest.getClassSchema()));
        for (Schema older : SchemaHistory.olderVersions("ToolRequest")) {
            fingerprints.add(SchemaNormalization.parsingFingerprint64(older));
        }
        return Set.copyOf(fingerprints);
    }
}
