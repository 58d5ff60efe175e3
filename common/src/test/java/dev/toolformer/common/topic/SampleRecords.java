package dev.toolformer.common.topic;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** A generic record with every field set to a non-default value, built from the schema alone. */
final class SampleRecords {
    private SampleRecords() {
    }

    static GenericRecord of(Schema schema) {
        return (GenericRecord) value(schema, schema.getName());
    }

    private static Object value(Schema schema, String path) {
        return switch (schema.getType()) {
            case RECORD -> {
                GenericData.Record record = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), value(field.schema(), path + "." + field.name()));
                }
                yield record;
            }
            case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().getLast());
            // The last branch is the non-null one in every "null-first" optional field.
            case UNION -> value(schema.getTypes().getLast(), path);
            case ARRAY -> new GenericData.Array<>(schema, List.of(value(schema.getElementType(), path + "[]")));
            case MAP -> Map.of("key", value(schema.getValueType(), path + "{}"));
            case STRING -> path;
            case BYTES -> ByteBuffer.wrap(new byte[] {1, 2, 3});
            case FIXED -> new GenericData.Fixed(schema, new byte[schema.getFixedSize()]);
            case INT -> 42;
            case LONG -> 1_740_830_400_123L;
            case FLOAT -> 1.5f;
            case DOUBLE -> 0.25;
            case BOOLEAN -> true;
            case NULL -> null;
        };
    }
}
