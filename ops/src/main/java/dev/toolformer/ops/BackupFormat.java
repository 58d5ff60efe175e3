package dev.toolformer.ops;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * How one Kafka record is kept in a backup: a generic Avro record of raw key and value bytes, so a
 * backup holds exactly what the broker held, whatever the value's schema (or if it is undecodable).
 */
public final class BackupFormat {
    /** File-level metadata of each container file. */
    static final String META_TOPIC = "toolformer.topic";
    static final String META_PARTITION = "toolformer.partition";

    static final Schema SCHEMA = new Schema.Parser().parse("""
            {"type": "record", "name": "BackedUpRecord", "namespace": "dev.toolformer.backup",
             "doc": "One Kafka record as the broker held it.",
             "fields": [
              {"name": "partition", "type": "int", "doc": "Partition the record was in."},
              {"name": "offset", "type": "long", "doc": "Offset in the source partition (restored records get new offsets)."},
              {"name": "timestamp", "type": "long", "doc": "Record timestamp, epoch millis."},
              {"name": "key", "type": ["null", "bytes"], "doc": "Key bytes; null when the record had no key."},
              {"name": "value", "type": ["null", "bytes"], "doc": "Value bytes; null for a tombstone."},
              {"name": "headers", "doc": "Headers in their original order (keys may repeat).", "type": {"type": "array",
                "items": {"type": "record", "name": "BackedUpHeader", "doc": "One record header.", "fields": [
                  {"name": "key", "type": "string", "doc": "Header key."},
                  {"name": "value", "type": ["null", "bytes"], "doc": "Header value bytes, or null."}]}}}
             ]}
            """);
    private static final Schema HEADER = SCHEMA.getField("headers").schema().getElementType();

    private BackupFormat() {
    }

    /** The file of one partition inside the backup directory, relative to it. */
    public static String fileName(String topic, int partition) {
        return topic + "/partition-" + partition + ".avro";
    }

    static GenericRecord toAvro(ConsumerRecord<byte[], byte[]> record) {
        List<GenericRecord> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            GenericRecord header = new GenericData.Record(HEADER);
            header.put("key", h.key());
            header.put("value", wrap(h.value()));
            headers.add(header);
        }
        GenericRecord out = new GenericData.Record(SCHEMA);
        out.put("partition", record.partition());
        out.put("offset", record.offset());
        out.put("timestamp", record.timestamp());
        out.put("key", wrap(record.key()));
        out.put("value", wrap(record.value()));
        out.put("headers", headers);
        return out;
    }

    /** The record to produce for a backed-up one: same partition, timestamp, key, value and headers. */
    static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, GenericRecord record) {
        RecordHeaders headers = new RecordHeaders();
        for (Object o : (List<?>) record.get("headers")) {
            GenericRecord h = (GenericRecord) o;
            headers.add(new RecordHeader(h.get("key").toString(), unwrap(h.get("value"))));
        }
        return new ProducerRecord<>(topic, (Integer) record.get("partition"), (Long) record.get("timestamp"),
                unwrap(record.get("key")), unwrap(record.get("value")), headers);
    }

    static long offset(GenericRecord record) {
        return (Long) record.get("offset");
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return bytes == null ? null : ByteBuffer.wrap(bytes);
    }

    private static byte[] unwrap(Object value) {
        if (value == null) {
            return null;
        }
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
