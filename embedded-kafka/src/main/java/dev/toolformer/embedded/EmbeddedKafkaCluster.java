package dev.toolformer.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A local KRaft cluster of several {@link EmbeddedKafkaBroker} nodes in this process (each a broker and a
 * controller; {@link EmbeddedKafkaBroker#startClusterNode}), their data under {@code dataDir/node-<id>}: what
 * {@code toolformer up --brokers 3} runs, to rehearse replication (topics with three replicas, two in sync) on one
 * machine. To kill a node from outside, run each as its own {@code toolformer broker} process instead.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
    private final EmbeddedKafkaBroker.ClusterLayout layout;
    private final List<EmbeddedKafkaBroker> nodes;

    private EmbeddedKafkaCluster(EmbeddedKafkaBroker.ClusterLayout layout, List<EmbeddedKafkaBroker> nodes) {
        this.layout = layout;
        this.nodes = nodes;
    }

    /** Starts the nodes of {@code layout} together (a node is ready only once a quorum of them runs). */
    public static EmbeddedKafkaCluster start(Path dataDir, EmbeddedKafkaBroker.ClusterLayout layout) {
        List<EmbeddedKafkaBroker> started = new ArrayList<>();
        try (ExecutorService starters = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<EmbeddedKafkaBroker>> starting = new ArrayList<>();
            for (int id = 1; id <= layout.nodes(); id++) {
                int node = id;
                starting.add(starters.submit(() -> EmbeddedKafkaBroker.startClusterNode(
                        dataDir.resolve("node-" + node), layout, node, Map.of())));
            }
            RuntimeException failure = null;
            for (Future<EmbeddedKafkaBroker> node : starting) {
                try {
                    started.add(node.get());
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : new IllegalStateException("a node of the local cluster did"
                            + " not start: " + e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new IllegalStateException("interrupted while starting the local cluster", e);
                }
            }
            if (failure != null) {
                started.forEach(EmbeddedKafkaBroker::close);
                throw failure;
            }
        }
        return new EmbeddedKafkaCluster(layout, List.copyOf(started));
    }

    public String bootstrapServers() {
        return layout.bootstrapServers();
    }

    public EmbeddedKafkaBroker.ClusterLayout layout() {
        return layout;
    }

    /** Node {@code id} (1-based). */
    public EmbeddedKafkaBroker node(int id) {
        return nodes.get(id - 1);
    }

    /** Stops every node, together: one by one, the last ones would wait for a quorum that is gone. */
    @Override
    public void close() {
        try (ExecutorService stoppers = Executors.newVirtualThreadPerTaskExecutor()) {
            nodes.forEach(node -> stoppers.submit(node::close));
        }
    }
}
