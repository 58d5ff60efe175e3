package dev.toolformer.common.topic;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the registry's topics that are missing; existing topics are left exactly as they are. */
public final class TopicProvisioner {
    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private TopicProvisioner() {
    }

    /** The replication factor that means "the cluster's {@code default.replication.factor}". */
    public static final short CLUSTER_DEFAULT = -1;
    /** The {@code min.insync.replicas} of topics with at least three replicas: one broker may be lost, not two. */
    static final String MIN_IN_SYNC_WITH_THREE_REPLICAS = "2";

    /**
     * Creates the missing ones of {@code topics}. A topic with three or more replicas gets {@code
     * min.insync.replicas=2} (unless its registry entry says otherwise), so that an acknowledged write
     * (acks=all) survives the loss of a broker; with fewer, the broker's default stands.
     *
     * @param replicationFactor at least 1, or {@link #CLUSTER_DEFAULT} for the cluster's default
     * @return the names of the topics this call created
     */
    public static List<String> ensureTopics(Admin admin, Collection<Topic<?>> topics, int partitions,
                                            short replicationFactor) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
        }
        if (replicationFactor < 1 && replicationFactor != CLUSTER_DEFAULT) {
            throw new IllegalArgumentException("replication factor must be >= 1 (or the cluster's default), was "
                    + replicationFactor);
        }
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<Topic<?>> absent = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            int replicas = absent.isEmpty() ? 0 : effectiveReplicas(admin, absent.getFirst(), partitions,
                    replicationFactor);
            List<NewTopic> missing = new ArrayList<>();
            for (Topic<?> topic : absent) {
                Map<String, String> configs = new HashMap<>(topic.configs());
                if (replicas >= 3) {
                    configs.putIfAbsent(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, MIN_IN_SYNC_WITH_THREE_REPLICAS);
                }
                missing.add(new NewTopic(topic.name(), Optional.of(partitions), replicationFactor == CLUSTER_DEFAULT
                        ? Optional.empty() : Optional.of(replicationFactor)).configs(configs));
            }
            List<String> created = new ArrayList<>();
            var results = admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            if (!created.isEmpty()) {
                awaitLeaders(admin, created);
                log.info("Created topics {}", created);
            }
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot list topics: " + cause.getMessage(), cause);
        }
    }

    /** The replication factor a topic created with {@code replicationFactor} gets (a validate-only creation). */
    private static int effectiveReplicas(Admin admin, Topic<?> probe, int partitions, short replicationFactor)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (replicationFactor != CLUSTER_DEFAULT) {
            return replicationFactor;
        }
        var validation = admin.createTopics(List.of(new NewTopic(probe.name(), Optional.of(partitions),
                Optional.empty())), new CreateTopicsOptions().validateOnly(true));
        return validation.replicationFactor(probe.name()).get(30, TimeUnit.SECONDS);
    }

    /**
     * Creates {@code topic} if it is missing, with the broker's default partition count and replication factor
     * (what a topic the provisioner did not create would get), and waits until its partitions have leaders: how a
     * service makes sure of a topic only it needs, so that a cluster provisioned by an earlier version works.
     */
    public static void ensureTopic(Admin admin, Topic<?> topic) {
        try {
            try {
                admin.createTopics(List.of(new NewTopic(topic.name(), Optional.empty(), Optional.empty())
                        .configs(topic.configs()))).all().get(30, TimeUnit.SECONDS);
                log.info("Created topic {}", topic.name());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + topic.name() + ": "
                            + e.getCause().getMessage(), e.getCause());
                }
            }
            awaitLeaders(admin, List.of(topic.name()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot create topic " + topic.name() + ": " + cause.getMessage(), cause);
        }
    }

    /**
     * Waits until every partition of {@code names} has a leader that serves it: producing to a partition whose
     * leader is still being elected, or has not yet taken the partition on, makes idempotent producers retry out
     * of order (OUT_OF_ORDER_SEQUENCE_NUMBER, for good). The metadata naming a leader comes first; the leader
     * answering a ListOffsets for the partition proves it took it on.
     */
    public static void awaitLeaders(Admin admin, Collection<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean ready;
            try {
                Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames()
                        .get(30, TimeUnit.SECONDS);
                ready = topics.values().stream().flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (ready) {
                    Map<TopicPartition, OffsetSpec> query = new HashMap<>();
                    topics.values().forEach(d -> d.partitions().forEach(
                            p -> query.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
                    admin.listOffsets(query).all().get(30, TimeUnit.SECONDS);
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
                ready = false; // created, not yet in the metadata this broker serves, or not yet led
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + names + " have no serving leader after 30 s");
            }
            Thread.sleep(100);
        }
    }
}
