package dev.toolformer.alerts.incident;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertMeters;
import dev.toolformer.alerts.TopicView;
import dev.toolformer.alerts.rules.IncidentPolicy;
import dev.toolformer.alerts.silence.Mutes;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.deadletter.DeadLetters;
import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.topic.TopicScan;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.DeadLetterReason;
import dev.toolformer.schema.IncidentAction;
import dev.toolformer.schema.Silence;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns alert transitions into incident actions and notifications. A plain consumer of toolformer.alerts
 * and toolformer.incident-triggers (group {@code <applicationId>-responder}, so instances share them: an alert
 * is planned by the owner of its fingerprint's partition, the cooldown and hourly cap of a rule counted per rule
 * by the owner of the rule name's partition of the triggers, see {@link ResponsePlanner}) owned by one poll thread,
 * which plans (cooldowns, caps, grouping, escalation timers) and commits; anything that blocks (Kafka
 * sends, webhooks, Admin calls, scaling) runs on virtual threads, never inside a Streams processor.
 * Every instance also reads all of toolformer.silences and the firing alerts, for silences,
 * acknowledgements and inhibition.
 * <p>
 * Supervised: a failed commit (a rebalance, a timeout, the broker away) is logged and the loop goes on —
 * uncommitted alerts are read again, here or by their next owner; an alert event that makes planning
 * fail is dead-lettered with the reason and the others go on; an authentication or authorization error,
 * or anything else unexpected, ends the responder and is reported by {@link #failure()}, which makes the
 * service not ready.
 */
public final class IncidentResponder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IncidentResponder.class);
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);

    private static final AvroSerde<IncidentAction> INCIDENTS = AvroSerde.of(IncidentAction.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);
    private static final Duration HISTORY_TIMEOUT = Duration.ofSeconds(60);

    private final AlertConfig config;
    private final KafkaSettings kafka;
    private final Clock clock;
    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final TopicView<Silence> silences;
    private final TopicView<AlertEvent> firing;
    private final ResponsePlanner planner;
    private final NotificationGrouper grouper;
    private final Mutes mutes;
    private final ActionRunner runner;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread thread;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    /** System.nanoTime() when the loop last came round; 0 until it started. */
    private volatile long lastProgressNanos;
    private final Duration historyTimeout;
    private final AlertMeters meters;
    private final AlertmanagerPush alertmanager;
    private Admin admin;
    private volatile boolean running = true;
    /** Set once the first assignment after {@link #recover()} is in: later ones take runs back. */
    private boolean recalledAtStart;

    public IncidentResponder(AlertConfig config, KafkaSettings kafka, FleetActions fleet, Clock clock,
                             AlertMeters meters) {
        this(config, kafka, fleet, clock, meters, new KafkaConsumer<>(kafka.consumer(responderGroup(config),
                        responderGroup(config))), new KafkaProducer<>(kafka.producer(responderGroup(config))),
                new TopicView<>(kafka, Silences.TOPIC.name(), Silences.SERDE::decode, (k, v) -> true),
                new TopicView<>(kafka, Topics.ALERTS.name(), ALERTS::decode, (k, v) -> v.getState() == AlertState.FIRING),
                HISTORY_TIMEOUT);
    }

    /** A responder on these clients and views (which it owns and closes); for tests with mock clients. */
    IncidentResponder(AlertConfig config, KafkaSettings kafka, FleetActions fleet, Clock clock, AlertMeters meters,
                      Consumer<String, byte[]> consumer, Producer<String, byte[]> producer, TopicView<Silence> silences,
                      TopicView<AlertEvent> firing, Duration historyTimeout) {
        this.historyTimeout = historyTimeout;
        this.config = config;
        this.kafka = kafka;
        this.clock = clock;
        IncidentPolicy policy = config.rules().incidents();
        this.consumer = consumer;
        this.producer = producer;
        this.silences = silences;
        this.firing = firing;
        this.planner = new ResponsePlanner(policy);
        this.grouper = new NotificationGrouper(policy.route());
        this.alertmanager = new AlertmanagerPush(policy);
        this.mutes = new Mutes(silences.values(), firing.values(), policy.inhibitions());
        WebhookSender webhooks = new WebhookSender(Duration.ofMillis(500), Duration.ofSeconds(10));
        this.meters = meters;
        this.runner = new ActionRunner(producer, () -> admin(kafka), fleet, webhooks, policy, config.applicationId(),
                clock, meters);
        meters.bindFiring(config.rules().rules(), firing::values);
        this.thread = Thread.ofPlatform().name("incident-responder-" + config.applicationId()).unstarted(this::run);
    }

    private static String responderGroup(AlertConfig config) {
        return config.applicationId() + "-responder";
    }

    public void start() {
        silences.start();
        firing.start();
        thread.start();
    }

    /**
     * The error that ended the responder or one of its views, described for an operator; empty while they run
     * (retrying what a retry can fix).
     */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get()).or(silences::failure).or(firing::failure);
    }

    /**
     * Why the responder is stuck: its loop (started, recovered, not closing, not failed) has not come round for
     * longer than {@code limit}; empty otherwise.
     */
    public Optional<String> stalled(Duration limit) {
        long last = lastProgressNanos;
        if (last == 0 || !running || !thread.isAlive() || failure().isPresent()) {
            return Optional.empty();
        }
        long silentNanos = System.nanoTime() - last;
        return silentNanos > limit.toNanos()
                ? Optional.of("the incident responder of " + config.applicationId() + " has made no progress for "
                        + TimeUnit.NANOSECONDS.toSeconds(silentNanos) + " s (limit " + limit.toSeconds() + " s)")
                : Optional.empty();
    }

    /** True while its thread runs and nothing has failed. */
    public boolean isRunning() {
        return thread.isAlive() && failure().isEmpty();
    }

    /** Alerts firing now, by fingerprint (a live view of toolformer.alerts). */
    public Map<String, AlertEvent> firingAlerts() {
        return firing.values();
    }

    /** Silences and acknowledgements stored now. */
    public Collection<Silence> silences() {
        return silences.values().values();
    }

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.ALERTS.name(), Topics.INCIDENT_TRIGGERS.name()),
                    new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // Offsets are committed after each batch: nothing pending to commit here.
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    LOG.info("incident responder assigned {}", partitions);
                    if (!recalledAtStart) {
                        recalledAtStart = true; // recover() read the log just before this first assignment
                    } else if (!partitions.isEmpty()) {
                        // Another instance may have decided these alerts and rules until now: take its runs back.
                        try {
                            planner.recallRuns(incidentLog(clock.instant()));
                        } catch (KafkaException e) {
                            LOG.warn("incident responder could not read the incident log ({}); it decides what it"
                                    + " now owns without the earlier runs", e.getMessage());
                        }
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    LOG.warn("incident responder lost {}; their alerts go to another instance", partitions);
                }
            });
            silences.awaitCaughtUp(Duration.ofSeconds(30));
            firing.awaitCaughtUp(Duration.ofSeconds(30));
            recover();
            long backoff = 500;
            while (running) {
                lastProgressNanos = System.nanoTime();
                try {
                    pollOnce();
                    backoff = 500;
                } catch (WakeupException | AuthorizationException | AuthenticationException
                         | UnsupportedVersionException e) {
                    throw e;
                } catch (KafkaException e) {
                    LOG.warn("incident responder: {}; going on in {} ms", e.toString(), backoff);
                    Thread.sleep(backoff);
                    backoff = Math.min(30_000, backoff * 2);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // An access error, or a bug: stopping is the honest answer, and it must be seen.
            LOG.error("incident responder stops: {}", e.toString(), e);
            String doing = "incident responder of " + config.applicationId() + " stopped";
            failure.compareAndSet(null, KafkaAccessException.from(e, doing, kafka).<RuntimeException>map(a -> a)
                    .orElseGet(() -> new IllegalStateException(doing + ": " + e, e)));
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Takes back what an earlier instance notified and did (see {@link IncidentRecovery}). */
    private void recover() {
        Instant now = clock.instant();
        Instant since = now.minus(IncidentRecovery.lookback(config.rules().incidents()));
        try {
            List<IncidentAction> log = incidentLog(now);
            Map<String, AlertEvent> latest = new HashMap<>(firing.values());
            for (ConsumerRecord<String, byte[]> r : TopicScan.of(kafka, Topics.ALERTS.name()).since(since)
                    .within(historyTimeout).records()) {
                try {
                    AlertEvent event = ALERTS.decode(r.value());
                    AlertEvent known = latest.get(event.getFingerprint());
                    if (known == null || !event.getEventTime().isBefore(known.getEventTime())) {
                        latest.put(event.getFingerprint(), event);
                    }
                } catch (DecodeException e) {
                    LOG.warn("alert history: skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                            e.getMessage());
                }
            }
            IncidentRecovery.Summary summary = IncidentRecovery.recover(log, latest, planner, grouper, now,
                    now.minus(config.maxEventAge()));
            LOG.info("incident responder recovered from {} incident record(s) since {}: {} alert(s) already "
                    + "notified, {} queued for notification", summary.records(), since, summary.recalledAlerts(),
                    summary.queuedAlerts());
        } catch (KafkaException e) {
            LOG.warn("incident responder could not read its history ({}); it starts without memory of earlier "
                    + "notifications", e.getMessage());
        }
    }

    /** The incident log of the recovery's lookback, oldest first. */
    private List<IncidentAction> incidentLog(Instant now) {
        Instant since = now.minus(IncidentRecovery.lookback(config.rules().incidents()));
        List<IncidentAction> log = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : TopicScan.of(kafka, Topics.INCIDENTS.name()).since(since)
                .within(historyTimeout).records()) {
            try {
                log.add(INCIDENTS.decode(r.value()));
            } catch (DecodeException e) {
                LOG.warn("incident history: skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                        e.getMessage());
            }
        }
        return log;
    }

    private void pollOnce() throws InterruptedException {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        } catch (WakeupException | AuthorizationException | UnsupportedVersionException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("incident responder poll failed: {}; polling on", e.getMessage());
            return;
        }
        Instant now = clock.instant();
        List<Future<?>> batch = new ArrayList<>();
        Map<String, List<ResponsePlanner.Run>> runs = new LinkedHashMap<>();
        Map<ResponsePlanner.Forward, Future<RecordMetadata>> forwards = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            AlertEvent alert = decode(record, now);
            if (alert == null) {
                continue;
            }
            try {
                if (record.topic().equals(Topics.INCIDENT_TRIGGERS.name())) {
                    if (alert.getState() == AlertState.RESOLVED) {
                        grouper.resolve(alert); // notified here by the rule's notify action: its resolve is sent here
                    } else {
                        planner.onTrigger(record.key(), alert, now).forEach(t -> dispatch(t, now, runs, forwards));
                    }
                    continue;
                }
                meters.transition(alert);
                if (alert.getState() == AlertState.RESOLVED) {
                    grouper.resolve(alert);
                }
                planner.onEvent(alert, now, mutes).forEach(t -> dispatch(t, now, runs, forwards));
            } catch (RuntimeException e) {
                // One alert event that cannot be planned must not stop the others: it goes to the DLQ with why.
                LOG.error("incident responder cannot plan {}-{}@{}; dead-lettering it", record.topic(),
                        record.partition(), record.offset(), e);
                deadLetter(record, e);
            }
        }
        planner.due(now, mutes, firing.values()).forEach(t -> dispatch(t, now, runs, forwards));
        // One virtual thread per alert keeps each alert's actions in their configured order.
        runs.values().forEach(list -> batch.add(workers.submit(() -> list.forEach(runner::run))));
        grouper.due(now, mutes).forEach(n -> workers.submit(() -> {
            runner.notify(n);
            alertmanager.sent(n);
        }));
        alertmanager.due(now, firing.values()).forEach(n -> workers.submit(() -> runner.resend(n)));
        awaitAll(batch);
        awaitForwards(forwards);
        if (!records.isEmpty()) {
            producer.flush();
            commit();
        }
    }

    /**
     * Commits what was read. A commit the group refuses (a rebalance moved the partitions) or that times out
     * is not fatal: the alerts are read again by their owner, whose cooldowns and recovered history keep
     * actions from running twice where they can.
     */
    private void commit() {
        try {
            consumer.commitSync();
        } catch (CommitFailedException | RebalanceInProgressException e) {
            LOG.warn("incident responder commit refused by a rebalance ({}); the alerts are read again by their owner",
                    e.toString());
        } catch (WakeupException | AuthorizationException | AuthenticationException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("incident responder commit failed ({}); retried with the next batch", e.toString());
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, RuntimeException error) {
        DeadLetter letter = DeadLetters.of(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
                record.value(), record.headers(), DeadLetterReason.INTERNAL, "incident responder: " + error,
                1, "alert-processor:" + config.applicationId(), clock.instant());
        producer.send(new ProducerRecord<>(Topics.DLQ.name(), record.key(), DEAD_LETTERS.encode(letter)), (md, e) -> {
            if (e != null) {
                LOG.error("cannot dead-letter {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.toString());
            }
        });
    }

    private void dispatch(ResponsePlanner.Task task, Instant now, Map<String, List<ResponsePlanner.Run>> runs,
                          Map<ResponsePlanner.Forward, Future<RecordMetadata>> forwards) {
        switch (task) {
            case ResponsePlanner.Notify n -> grouper.add(n.receiver(), n.alert(), now);
            case ResponsePlanner.Skip s -> runner.skip(s);
            case ResponsePlanner.Forward f -> forwards.put(f, forward(f));
            case ResponsePlanner.Run r ->
                    runs.computeIfAbsent(r.alert().getFingerprint(), k -> new ArrayList<>()).add(r);
        }
    }

    /** Sends a firing alert to the owner of its per-rule rule's cooldown. */
    private Future<RecordMetadata> forward(ResponsePlanner.Forward task) {
        return producer.send(new ProducerRecord<>(Topics.INCIDENT_TRIGGERS.name(), task.rule().name(),
                ALERTS.encode(task.alert())));
    }

    /**
     * Waits until every forwarded alert of the batch is stored, sending again what the producer gave up on
     * (the broker away longer than its delivery timeout): the batch is committed only after, so a trigger is
     * never lost, and a stop before that leaves the batch to be read again.
     */
    private void awaitForwards(Map<ResponsePlanner.Forward, Future<RecordMetadata>> forwards)
            throws InterruptedException {
        for (Map.Entry<ResponsePlanner.Forward, Future<RecordMetadata>> f : forwards.entrySet()) {
            Future<RecordMetadata> sent = f.getValue();
            long backoff = 500;
            while (true) {
                try {
                    sent.get();
                    break;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AuthorizationException || e.getCause() instanceof AuthenticationException
                            || !running) {
                        throw e.getCause() instanceof KafkaException k ? k
                                : new KafkaException("cannot forward " + f.getKey().alert().getFingerprint(), e);
                    }
                    LOG.warn("cannot hand {} to the owner of incident rule {} ({}); sending it again in {} ms",
                            f.getKey().alert().getFingerprint(), f.getKey().rule().name(), e.getCause().toString(),
                            backoff);
                    Thread.sleep(backoff);
                    backoff = Math.min(30_000, backoff * 2);
                    sent = forward(f.getKey());
                }
            }
        }
    }

    private AlertEvent decode(ConsumerRecord<String, byte[]> record, Instant now) {
        try {
            AlertEvent alert = ALERTS.decode(record.value());
            if (Instant.ofEpochMilli(record.timestamp()).isBefore(now.minus(config.maxEventAge()))) {
                LOG.debug("not acting on {} {}: older than {}", alert.getFingerprint(), alert.getState(),
                        config.maxEventAge());
                return null;
            }
            return alert;
        } catch (DecodeException e) {
            LOG.warn("skipping {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return null;
        }
    }

    private static void awaitAll(List<Future<?>> futures) throws InterruptedException {
        for (Future<?> f : futures) {
            try {
                f.get(2, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
                LOG.error("incident action failed", e.getCause());
            } catch (TimeoutException e) {
                LOG.error("incident action still running after 2 minutes; committing anyway");
            }
        }
    }

    private synchronized Admin admin(KafkaSettings kafka) {
        if (admin == null) {
            admin = Admin.create(kafka.admin());
        }
        return admin;
    }

    /** Stops polling, lets running actions finish (up to {@code timeout}), and closes the clients. */
    public boolean close(Duration timeout) {
        running = false;
        consumer.wakeup();
        try {
            thread.join(timeout.toMillis());
            workers.shutdown();
            boolean done = workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
            silences.close();
            firing.close();
            producer.close(Duration.ofSeconds(5));
            synchronized (this) {
                if (admin != null) {
                    admin.close(Duration.ofSeconds(5));
                }
            }
            return done && !thread.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
