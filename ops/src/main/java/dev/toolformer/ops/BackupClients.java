package dev.toolformer.ops;

import java.util.Map;
import java.util.UUID;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka clients of the operations commands: raw bytes both ways, so records are copied exactly. */
public final class BackupClients {
    private BackupClients() {
    }

    public static Admin admin(KafkaSettings kafka) {
        Map<String, Object> p = kafka.admin();
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(p);
    }

    /** A group-less consumer (assign and seek only; nothing is committed) of byte[] keys and values. */
    public static KafkaConsumer<byte[], byte[]> consumer(KafkaSettings kafka, String purpose) {
        Map<String, Object> p = kafka.consumer(null, "toolformer-" + purpose + "-" + UUID.randomUUID());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        p.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return new KafkaConsumer<>(p);
    }

    /** An idempotent acks=all producer of byte[] keys and values: per-partition order is kept on retries. */
    public static KafkaProducer<byte[], byte[]> producer(KafkaSettings kafka, String purpose) {
        Map<String, Object> p = kafka.producer("toolformer-" + purpose + "-" + UUID.randomUUID());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // Bulk copying: bigger batches than the pipeline's latency-minded defaults, unless overridden.
        if (!kafka.overrides().containsKey(ProducerConfig.BATCH_SIZE_CONFIG)) {
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        }
        return new KafkaProducer<>(p);
    }
}
