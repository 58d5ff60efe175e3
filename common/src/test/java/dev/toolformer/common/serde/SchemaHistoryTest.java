package dev.toolformer.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaHistoryTest {
    private static final Path HISTORY_DIR = Path.of("../schemas/src/main/resources/avro-history");

    record Version(Schema current, Schema older, int number) {
        @Override
        public String toString() {
            return current.getName() + ".v" + number;
        }
    }

    static Stream<Version> olderVersions() {
        return Topics.ALL.stream().flatMap(topic -> {
            Schema current = SpecificData.get().getSchema(topic.valueType());
            List<Schema> older = SchemaHistory.olderVersions(current.getName());
            return Stream.iterate(0, i -> i < older.size(), i -> i + 1)
                    .map(i -> new Version(current, older.get(i), i + 1));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("olderVersions")
    void shouldReadOlderVersionWithCurrentSchema(Version version) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(version.current(), version.older());

        assertThat(result.getType()).as(result.getDescription()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("olderVersions")
    void shouldGiveOlderVersionItsOwnFingerprintAndTheSameName(Version version) {
        assertThat(SchemaNormalization.parsingFingerprint64(version.older()))
                .isNotEqualTo(SchemaNormalization.parsingFingerprint64(version.current()));
        assertThat(version.older().getFullName()).isEqualTo(version.current().getFullName());
    }

    @Test
    void shouldShipToolRequestVersion1() {
        List<Schema> older = SchemaHistory.olderVersions(ToolRequest.class.getSimpleName());

        assertThat(older).hasSize(1);
        assertThat(older.get(0).getFields()).extracting(Schema.Field::name).containsExactly(
                "request_id", "correlation_id", "tool", "arguments_json", "timeout_ms", "submitted_at");
    }

    @Test
    void shouldReadAStatusAddedLaterAsErrorThroughTheEnumDefault() throws IOException {
        // A later schema version adds a status symbol: readers of this version read it as ERROR, not a failure.
        AvroSerde.of(ToolResult.class); // tells Avro to trust the generated classes, as every reader of ours does
        Schema current = ToolResult.getClassSchema();
        Schema later = new Schema.Parser().parse(current.toString().replace("\"UNAVAILABLE\"]",
                "\"UNAVAILABLE\",\"SHED_LATER\"]"));
        GenericRecord record = new GenericData.Record(later);
        for (Schema.Field field : later.getFields()) {
            if (field.hasDefaultValue()) {
                record.put(field.name(), GenericData.get().getDefaultValue(field));
            }
        }
        record.put("request_id", "r1");
        record.put("correlation_id", "c1");
        record.put("tool", "echo");
        record.put("status", new GenericData.EnumSymbol(later.getField("status").schema(),
                "SHED_LATER"));
        record.put("attempts", 0);
        record.put("submitted_at", 1L);
        record.put("started_at", 1L);
        record.put("finished_at", 1L);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(later).write(record, encoder);
        encoder.flush();

        ToolResult read = new SpecificDatumReader<ToolResult>(later, current).read(null,
                DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(read.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(read.getRequestId()).isEqualTo("r1");
    }

    @Test
    void shouldReturnNoVersionsForRecordWithoutHistory() {
        assertThat(SchemaHistory.olderVersions("NoSuchRecord")).isEmpty();
    }

    @Test
    void shouldLoadEveryHistoryFileInTheSchemasModule() throws IOException {
        // A gap (v1, v3) or a misspelt file name would make a version silently unreadable.
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(HISTORY_DIR)) {
            onDisk = files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        Set<String> loaded = olderVersions().map(v -> v + ".avsc").collect(Collectors.toSet());

        assertThat(loaded).isEqualTo(onDisk);
    }
}
