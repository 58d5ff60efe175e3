package dev.toolformer.common.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro records as JSON objects for people and scripts: field names as in the schema, timestamps as
 * ISO-8601 strings, enums as their names, bytes as base64.
 */
public final class RecordJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordJson() {
    }

    public static String toJson(IndexedRecord record) {
        try {
            return JSON.writeValueAsString(toMap(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + record.getSchema().getName() + " as JSON", e);
        }
    }

    public static Map<String, Object> toMap(IndexedRecord record) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Schema.Field field : record.getSchema().getFields()) {
            map.put(field.name(), plain(record.get(field.pos())));
        }
        return map;
    }

    private static Object plain(Object value) {
        return switch (value) {
            case null -> null;
            case IndexedRecord r -> toMap(r);
            case Instant i -> i.toString();
            case ByteBuffer b -> Base64.getEncoder().encodeToString(bytes(b));
            case Enum<?> e -> e.name();
            case GenericEnumSymbol<?> e -> e.toString();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
                yield out;
            }
            case Collection<?> c -> c.stream().map(RecordJson::plain).toList();
            case CharSequence s -> s.toString();
            default -> value;
        };
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
