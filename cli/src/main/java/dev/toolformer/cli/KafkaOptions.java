package dev.toolformer.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.toolformer.common.kafka.KafkaSettings;
import picocli.CommandLine.Option;

/** Options shared by every command that talks to a Kafka cluster. */
public final class KafkaOptions {
    static final String LOCAL = "127.0.0.1:9092";

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster to use (default: ${DEFAULT-VALUE}).", defaultValue = LOCAL)
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka client property, e.g. security.protocol=SASL_SSL; repeatable; wins over --kafka-config.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties file (e.g. security settings and credentials); keys with or without a 'kafka.' prefix.")
    Path configFile;

    /** The {@code --bootstrap-servers} value. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public KafkaSettings settings() {
        return new KafkaSettings(bootstrapServers, KafkaClientProperties.merge(configFile, properties));
    }
}
