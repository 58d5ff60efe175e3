package dev.toolformer.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.server.Pipeline;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the commands that run the whole pipeline ({@code up}, {@code demo}). */
final class PipelineOptions {
    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Run against this Kafka cluster instead of starting the embedded broker.")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka client property (with --bootstrap-servers); repeatable; wins over --kafka-config.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties file (with --bootstrap-servers); keys with or without a 'kafka.' prefix.")
    Path kafkaConfig;

    @Option(names = "--broker-port", paramLabel = "PORT", defaultValue = "9092",
            description = "Client port of the embedded broker on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address the HTTP surface binds to (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port of /health/live, /health/ready and /metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Mixin
    AdminTokenOption adminToken;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "6",
            description = "Partitions of topics created on start (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Replication factor of topics created on start (default: the cluster's default.replication.factor);"
                    + " with three or more replicas they get min.insync.replicas=2.")
    Short replicationFactor;

    @Option(names = "--brokers", paramLabel = "N", defaultValue = "1",
            description = "Nodes of the embedded Kafka cluster (default: ${DEFAULT-VALUE}); 3 rehearses replication on"
                    + " one machine: topics get three replicas, two in sync. Not with --bootstrap-servers.")
    int brokers;

    @Option(names = "--alert-rules", paramLabel = "FILE",
            description = "Alert rules to evaluate (default: the shipped config/alerts rules).")
    Path alertRules;

    Pipeline.Options toOptions(Path dataDir) {
        requirePort("--broker-port", brokerPort);
        requirePort("--http-port", httpPort);
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be >= 1, was " + partitions);
        }
        if (replicationFactor != null && replicationFactor < 1) {
            throw new IllegalArgumentException("--replication-factor must be >= 1, was " + replicationFactor);
        }
        if (brokers < 1 || brokers > 9) {
            throw new IllegalArgumentException("--brokers must be 1..9, was " + brokers);
        }
        if (brokers > 1 && bootstrapServers != null) {
            throw new IllegalArgumentException("--brokers starts an embedded cluster: it cannot go with --bootstrap-servers");
        }
        KafkaSettings cluster = bootstrapServers == null ? null
                : new KafkaSettings(bootstrapServers, KafkaClientProperties.merge(kafkaConfig, kafkaProperties));
        return new Pipeline.Options(cluster, dataDir, brokerPort, httpHost, httpPort, partitions,
                replicationFactor == null ? TopicProvisioner.CLUSTER_DEFAULT : replicationFactor, Duration.ofSeconds(10),
                alertRules == null ? null : AlertRules.load(alertRules), adminToken.load()).withBrokers(brokers);
    }

    private static void requirePort(String option, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + " must be 0..65535, was " + port);
        }
    }
}
