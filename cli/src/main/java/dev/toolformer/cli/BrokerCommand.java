package dev.toolformer.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.toolformer.embedded.EmbeddedKafkaBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One node of a local Kafka cluster as its own process, to rehearse the loss of a broker on one machine: start one
 * per node (the same ports and cluster id, each its {@code --node-id}), point the services at all of them, then
 * kill one ({@code kill -9}) under load.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run one node (broker and controller) of a local KRaft cluster until stopped. Start one per node"
                + " with the same --client-ports, --controller-ports and --cluster-id, e.g. for three nodes:",
                "  toolformer broker --node-id 1 --client-ports 9092,9093,9094 --controller-ports 19092,19093,19094",
                "(and --node-id 2, 3); then toolformer topics --create -b 127.0.0.1:9092,127.0.0.1:9093 gives the"
                        + " topics three replicas, two in sync."})
final class BrokerCommand implements Callable<Integer> {
    /** {@code toolformer-local}, as a Kafka cluster id (16 bytes, base64). */
    static final String DEFAULT_CLUSTER_ID = "dG9vbGZvcm1lci1sb2NhbA";

    @Option(names = "--node-id", paramLabel = "N", required = true,
            description = "This node's id, 1 for the first of --client-ports.")
    int nodeId;

    @Option(names = "--client-ports", paramLabel = "PORT,...", split = ",", required = true,
            description = "Every node's client port on 127.0.0.1, in node order.")
    List<Integer> clientPorts;

    @Option(names = "--controller-ports", paramLabel = "PORT,...", split = ",", required = true,
            description = "Every node's controller port on 127.0.0.1, in node order.")
    List<Integer> controllerPorts;

    @Option(names = "--cluster-id", paramLabel = "ID", defaultValue = DEFAULT_CLUSTER_ID,
            description = "The cluster id every node is formatted with (default: ${DEFAULT-VALUE}).")
    String clusterId;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "This node's log directory (default: ./data/broker-<node-id>); kept across restarts.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker.ClusterLayout layout = new EmbeddedKafkaBroker.ClusterLayout(clusterId, clientPorts,
                controllerPorts);
        Path dir = dataDir != null ? dataDir : Path.of("data", "broker-" + nodeId);
        try (UntilStopped signal = new UntilStopped();
             EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startClusterNode(dir, layout, nodeId, Map.of())) {
            System.err.printf("toolformer broker: node %d of %d on %s (cluster %s)%n", nodeId, layout.nodes(),
                    broker.bootstrapServers(), layout.bootstrapServers());
            signal.await();
            System.err.printf("toolformer broker: node %d stopping%n", nodeId);
        }
        return 0;
    }
}
