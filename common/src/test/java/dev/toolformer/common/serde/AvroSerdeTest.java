package dev.toolformer.common.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

import dev.toolformer.schema.ToolError;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
    private static final Instant SUBMITTED = Instant.parse("2025-03-01T12:00:00.123Z");
    private static final Path TOOL_REQUEST_AVSC = Path.of("../schemas/src/main/avro/ToolRequest.avsc");

    private final AvroSerde<ToolRequest> requests = AvroSerde.of(ToolRequest.class);
    private final AvroSerde<ToolResult> results = AvroSerde.of(ToolResult.class);

    static ToolRequest fullRequest() {
        return ToolRequest.newBuilder()
                .setRequestId("req-1")
                .setCorrelationId("corr-1")
                .setTool("echo")
                .setArgumentsJson("{\"text\":\"héllo\"}")
                .setTimeoutMs(2_500L)
                .setSubmittedAt(SUBMITTED)
                .setProvider("openai")
                .setModel("gpt-4o")
                .setSpeculative(true)
                .setPriority(7)
                .setMaxAttempts(3)
                .setAgentId("agent-9")
                .setTenant("acme")
                .setMetadata(Map.of("trace", "abc", "team", "search"))
                .build();
    }

    @Test
    void shouldRoundTripToolRequestWithEveryFieldSet() {
        ToolRequest request = fullRequest();

        ToolRequest decoded = requests.decode(requests.encode(request));

        assertThat(decoded).isEqualTo(request);
        assertThat(decoded.getSubmittedAt()).isEqualTo(SUBMITTED);
        assertThat(decoded.getArgumentsJson()).isEqualTo("{\"text\":\"héllo\"}");
        assertThat(decoded.getMetadata()).containsExactlyInAnyOrderEntriesOf(Map.of("trace", "abc", "team", "search"));
    }

    @Test
    void shouldWriteExactlyWhatAvrosOwnSingleObjectEncoderWrites() throws Exception {
        ToolRequest request = fullRequest();
        // And a large one (a 100 KB output), past any first buffer an encoder starts with.
        ToolResult large = ToolResult.newBuilder().setRequestId("req-2").setCorrelationId("corr-2").setTool("http")
                .setStatus(ToolStatus.SUCCESS).setOutputJson("{\"body\":\"" + "x".repeat(100_000) + "\"}")
                .setAttempts(1).setSubmittedAt(SUBMITTED).setStartedAt(SUBMITTED).setFinishedAt(SUBMITTED).build();

        assertThat(requests.encode(request)).isEqualTo(bytes(new BinaryMessageEncoder<ToolRequest>(
                SpecificData.get(), ToolRequest.getClassSchema()).encode(request)));
        assertThat(results.encode(large)).isEqualTo(bytes(new BinaryMessageEncoder<ToolResult>(
                SpecificData.get(), ToolResult.getClassSchema()).encode(large)));
    }

    @Test
    void shouldRoundTripToolResultWithEveryFieldSet() {
        ToolResult result = ToolResult.newBuilder()
                .setRequestId("req-1")
                .setCorrelationId("corr-1")
                .setTool("http")
                .setStatus(ToolStatus.ERROR)
                .setOutputJson("{\"partial\":true}")
                .setError(ToolError.newBuilder().setType("java.net.SocketTimeoutException")
                        .setMessage("read timed out").setRetriable(true).build())
                .setAttempts(3)
                .setSpeculative(true)
                .setProvider("anthropic")
                .setModel("claude")
                .setSubmittedAt(SUBMITTED)
                .setStartedAt(SUBMITTED.plusMillis(4))
                .setFinishedAt(SUBMITTED.plusMillis(1_504))
                .setInputTokens(1_200L)
                .setOutputTokens(345L)
                .setCostUsd(0.0123)
                .setExecutorId("executor-2")
                .build();

        ToolResult decoded = results.decode(results.encode(result));

        assertThat(decoded).isEqualTo(result);
        assertThat(decoded.getError().getMessage()).isEqualTo("read timed out");
        assertThat(decoded.getFinishedAt()).isEqualTo(Instant.parse("2025-03-01T12:00:01.627Z"));
        assertThat(decoded.getCostUsd()).isEqualTo(0.0123);
    }

    @Test
    void shouldStartEncodedBytesWithMarkerAndLittleEndianFingerprint() {
        byte[] bytes = requests.encode(fullRequest());

        long fingerprint = SchemaNormalization.parsingFingerprint64(ToolRequest.getClassSchema());
        byte[] expectedHeader = header(fingerprint);
        assertThat(Arrays.copyOf(bytes, 10)).containsExactly(expectedHeader);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(bytes[2]).isEqualTo((byte) fingerprint);
        assertThat(bytes[9]).isEqualTo((byte) (fingerprint >>> 56));
        assertThat(requests.fingerprint()).isEqualTo(fingerprint);
    }

    @Test
    void shouldReadVersion1ToolRequestWithVersion2DefaultsFilled() throws IOException {
        Schema v1 = SchemaHistory.olderVersions("ToolRequest").get(0);
        GenericRecord old = new GenericData.Record(v1);
        old.put("request_id", "req-v1");
        old.put("correlation_id", "corr-v1");
        old.put("tool", "simulated");
        old.put("arguments_json", "{}");
        old.put("timeout_ms", 1_000L);
        old.put("submitted_at", SUBMITTED.toEpochMilli());
        byte[] bytes = bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old));

        ToolRequest decoded = requests.decode(bytes);

        assertThat(decoded).isEqualTo(ToolRequest.newBuilder()
                .setRequestId("req-v1")
                .setCorrelationId("corr-v1")
                .setTool("simulated")
                .setArgumentsJson("{}")
                .setTimeoutMs(1_000L)
                .setSubmittedAt(SUBMITTED)
                .build());
        assertThat(decoded.getProvider()).isEmpty();
        assertThat(decoded.getModel()).isEmpty();
        assertThat(decoded.getSpeculative()).isFalse();
        assertThat(decoded.getPriority()).isZero();
        assertThat(decoded.getMaxAttempts()).isZero();
        assertThat(decoded.getAgentId()).isEmpty();
        assertThat(decoded.getTenant()).isEmpty();
        assertThat(decoded.getMetadata()).isEmpty();
    }

    @Test
    void shouldRejectBytesWithoutSingleObjectMarkerAsBadHeader() {
        byte[] bytes = "{\"request_id\":\"not avro\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> requests.decode(bytes))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.BAD_HEADER))
                .hasMessage("not Avro single-object encoding: Unrecognized header bytes: 0x7B 0x22 (expected ToolRequest)");
    }

    @Test
    void shouldRejectValueShorterThanHeaderAsBadHeader() {
        byte[] bytes = {(byte) 0xC3, 0x01, 0x12, 0x34};

        assertThatThrownBy(() -> requests.decode(bytes))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.BAD_HEADER))
                .hasMessage("not Avro single-object encoding: Not enough header bytes (expected ToolRequest)");
    }

    @Test
    void shouldRejectUnknownFingerprintAsUnknownSchemaNamingTheType() {
        byte[] valid = requests.encode(fullRequest());
        long unknown = 0x0123456789ABCDEFL;
        byte[] bytes = valid.clone();
        System.arraycopy(header(unknown), 0, bytes, 0, 10);

        assertThatThrownBy(() -> requests.decode(bytes))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.UNKNOWN_SCHEMA))
                .hasMessage("unknown writer schema for ToolRequest: Cannot resolve schema for fingerprint: "
                        + unknown);
    }

    @Test
    void shouldRejectTruncatedBodyAsCorruptBody() {
        byte[] valid = requests.encode(fullRequest());
        byte[] truncated = Arrays.copyOf(valid, 20);

        assertThatThrownBy(() -> requests.decode(truncated))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT_BODY))
                .hasMessage("corrupt ToolRequest body (20 bytes): java.io.EOFException: "
                        + "Attempted to read 6 bytes, but only 3 bytes are available")
                .rootCause().isInstanceOf(EOFException.class);
    }

    @Test
    void shouldRejectHugeDeclaredLengthAndCountAsCorruptBody() {
        // AvroSerdeFuzzTest's seeds corrupt-huge-* check that neither is allocated.
        // The header, then request_id declaring 2^30 bytes (zig-zag varint 80 80 80 80 08) and no more.
        byte[] hugeString = Arrays.copyOf(requests.encode(fullRequest()), 15);
        System.arraycopy(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08}, 0, hugeString, 10, 5);
        // A valid minimal request whose metadata map (its last byte, 00) declares 2^30 entries.
        byte[] minimal = requests.encode(ToolRequest.newBuilder().setRequestId("r").setCorrelationId("c").setTool("t")
                .setArgumentsJson("{}").setTimeoutMs(1L).setSubmittedAt(SUBMITTED).build());
        byte[] hugeMap = Arrays.copyOf(minimal, minimal.length + 4);
        System.arraycopy(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08}, 0, hugeMap,
                minimal.length - 1, 5);

        assertThatThrownBy(() -> requests.decode(hugeString))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT_BODY))
                .hasMessage("corrupt ToolRequest body (15 bytes): java.io.EOFException: "
                        + "Attempted to read 1073741824 bytes, but only 0 bytes are available");
        assertThatThrownBy(() -> requests.decode(hugeMap))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT_BODY))
                .hasMessage("corrupt ToolRequest body (" + hugeMap.length + " bytes): java.io.EOFException");
    }

    @Test
    void shouldRejectNullAsNullValue() {
        assertThatThrownBy(() -> requests.decode(null))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.NULL_VALUE))
                .hasMessage("no value: expected an Avro-encoded ToolRequest");
    }

    @Test
    void shouldDeserializeNullAsNullValueThroughKafkaDeserializer() {
        assertThatThrownBy(() -> requests.deserialize("toolformer.requests", null))
                .isInstanceOfSatisfying(DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.NULL_VALUE));
        assertThat(requests.serialize("toolformer.requests", null)).isNull();
    }

    @Test
    void shouldDecodeBytesWrittenFromAvscFileByPlainGenericWriterAndHandMadeHeader() throws IOException {
        // What another language's Avro library does: parse the .avsc, fingerprint its canonical form
        // per the specification, write C3 01 + fingerprint (little-endian) + the binary body.
        Schema fromFile = new Schema.Parser().parse(TOOL_REQUEST_AVSC.toFile());
        GenericRecord record = new GenericData.Record(fromFile);
        record.put("request_id", "req-py");
        record.put("correlation_id", "corr-py");
        record.put("tool", "echo");
        record.put("arguments_json", "{\"x\":1}");
        record.put("timeout_ms", 30_000L);
        record.put("submitted_at", SUBMITTED.toEpochMilli());
        record.put("provider", "local");
        record.put("model", "llama");
        record.put("speculative", true);
        record.put("priority", -1);
        record.put("max_attempts", 5);
        record.put("agent_id", "a");
        record.put("tenant", "t");
        record.put("metadata", Map.of("k", "v"));

        long fingerprint = Crc64Avro.fingerprint(SchemaNormalization.toParsingForm(fromFile));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header(fingerprint));
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(fromFile).write(record, encoder);
        encoder.flush();

        ToolRequest decoded = requests.decode(out.toByteArray());

        assertThat(fingerprint).isEqualTo(requests.fingerprint());
        assertThat(decoded).isEqualTo(ToolRequest.newBuilder()
                .setRequestId("req-py")
                .setCorrelationId("corr-py")
                .setTool("echo")
                .setArgumentsJson("{\"x\":1}")
                .setTimeoutMs(30_000L)
                .setSubmittedAt(SUBMITTED)
                .setProvider("local")
                .setModel("llama")
                .setSpeculative(true)
                .setPriority(-1)
                .setMaxAttempts(5)
                .setAgentId("a")
                .setTenant("t")
                .setMetadata(Map.of("k", "v"))
                .build());
        assertThat(out.toByteArray()).isEqualTo(requests.encode(decoded));
    }

    @Test
    void shouldReturnTheSameSharedInstancePerType() {
        assertThat(AvroSerde.of(ToolRequest.class)).isSameAs(requests);
        assertThat(requests.serializer()).isSameAs(requests);
        assertThat(requests.deserializer()).isSameAs(requests);
        assertThatThrownBy(() -> AvroSerde.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("type == null");
        assertThatThrownBy(() -> requests.encode(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("value == null");
    }

    private static byte[] header(long fingerprint) {
        return ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0xC3).put((byte) 0x01).putLong(fingerprint).array();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** CRC-64-AVRO as the Avro specification's "Schema Fingerprints" section writes it out. */
    static final class Crc64Avro {
        private static final long EMPTY = 0xc15d213aa4d7a795L;
        private static final long[] TABLE = table();

        static long fingerprint(String canonicalForm) {
            long fp = EMPTY;
            for (byte b : canonicalForm.getBytes(StandardCharsets.UTF_8)) {
                fp = (fp >>> 8) ^ TABLE[(int) (fp ^ b) & 0xff];
            }
            return fp;
        }

        private static long[] table() {
            long[] table = new long[256];
            for (int i = 0; i < 256; i++) {
                long fp = i;
                for (int j = 0; j < 8; j++) {
                    fp = (fp >>> 1) ^ (EMPTY & -(fp & 1L));
                }
                table[i] = fp;
            }
            return table;
        }
    }
}
