package dev.toolformer.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaDocumentationTest {
    static final Path AVRO_DIR = Path.of("../schemas/src/main/avro");

    static Stream<Topic<?>> topics() {
        return Topics.ALL.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
    void shouldDocumentEveryRecordEnumAndField(Topic<?> topic) {
        Schema schema = SpecificData.get().getSchema(topic.valueType());
        List<String> undocumented = new ArrayList<>();

        collectUndocumented(schema, new HashSet<>(), undocumented);

        assertThat(undocumented).as("types and fields of %s without a doc", schema.getName()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
    void shouldParseAvscFileIdenticalToGeneratedSchema(Topic<?> topic) throws IOException {
        Schema generated = SpecificData.get().getSchema(topic.valueType());
        Path file = AVRO_DIR.resolve(topic.valueType().getSimpleName() + ".avsc");

        Schema parsed = new Schema.Parser().parse(file.toFile());
        Schema reparsed = new Schema.Parser().parse(generated.toString());

        assertThat(parsed.getFullName()).isEqualTo(topic.valueType().getName());
        assertThat(SchemaNormalization.parsingFingerprint64(parsed))
                .isEqualTo(SchemaNormalization.parsingFingerprint64(generated));
        assertThat(reparsed).isEqualTo(generated);
    }

    private static void collectUndocumented(Schema schema, Set<String> visited, List<String> undocumented) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!visited.add(schema.getFullName())) {
                    return;
                }
                requireDoc(schema.getDoc(), "record " + schema.getFullName(), undocumented);
                for (Schema.Field field : schema.getFields()) {
                    requireDoc(field.doc(), "field " + schema.getName() + "." + field.name(), undocumented);
                    collectUndocumented(field.schema(), visited, undocumented);
                }
            }
            case ENUM, FIXED -> {
                if (visited.add(schema.getFullName())) {
                    requireDoc(schema.getDoc(), schema.getType().getName() + " " + schema.getFullName(), undocumented);
                }
            }
            case UNION -> schema.getTypes().forEach(branch -> collectUndocumented(branch, visited, undocumented));
            case ARRAY -> collectUndocumented(schema.getElementType(), visited, undocumented);
            case MAP -> collectUndocumented(schema.getValueType(), visited, undocumented);
            default -> {
                // Primitives carry no doc of their own; the enclosing field documents them.
            }
        }
    }

    private static void requireDoc(String doc, String what, List<String> undocumented) {
        if (doc == null || doc.isBlank()) {
            undocumented.add(what);
        }
    }
}
