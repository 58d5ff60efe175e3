package dev.toolformer.alerts;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import dev.toolformer.alerts.incident.FleetActions;
import dev.toolformer.alerts.incident.IncidentResponder;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.service.Service;
import dev.toolformer.common.service.StreamsLiveness;
import dev.toolformer.common.topic.TopicProvisioner;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.Silence;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link AlertTopology} (exactly-once) and the incident responder against a Kafka cluster. The
 * topology turns aggregates into alert transitions; the responder turns transitions into notifications
 * and incident actions, outside the Streams threads because those block on HTTP and Kafka. The error
 * that stops the topology is reported by {@link #failure()}.
 */
public final class AlertProcessorService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(AlertProcessorService.class);

    private final KafkaSettings kafka;
    private final AlertConfig config;
    private final FleetActions fleet;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private MeterRegistry meters = new CompositeMeterRegistry();
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;
    private IncidentResponder responder;

    public AlertProcessorService(AlertConfig config, KafkaSettings kafka) {
        this(config, kafka, FleetActions.recommendationsOnly());
    }

    /** A service whose {@code scale_up} actions go to {@code fleet}. */
    public AlertProcessorService(AlertConfig config, KafkaSettings kafka, FleetActions fleet) {
        this.config = Objects.requireNonNull(config, "config == null");
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.fleet = Objects.requireNonNull(fleet, "fleet == null");
    }

    /**
     * Publishes this service's figures on {@code registry} once started: {@link AlertMeters} and the Kafka Streams
     * client's own metrics ({@code kafka_stream_*}). Without it they go nowhere.
     */
    public synchronized AlertProcessorService withMeters(MeterRegistry registry) {
        if (streams != null) {
            throw new IllegalStateException("meters must be given before start");
        }
        this.meters = Objects.requireNonNull(registry, "registry == null");
        return this;
    }

    /**
     * Starts processing; the registry's topics must exist, toolformer.silences and toolformer.incident-triggers
     * are created if missing.
     */
    @Override
    public synchronized void start() {
        if (streams != null) {
            throw new IllegalStateException("alert processor " + config.applicationId() + " already started");
        }
        try (Admin admin = Admin.create(kafka.admin())) {
            Silences.ensureTopic(admin);
        } catch (RuntimeException e) {
            throw KafkaAccessException.from(e, "alert processor " + config.applicationId() + " cannot use "
                    + Topics.SILENCES.name(), kafka).<RuntimeException>map(a -> a).orElse(e);
        }
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicProvisioner.ensureTopic(admin, Topics.INCIDENT_TRIGGERS); // a cluster provisioned before it existed
        } catch (RuntimeException e) {
            throw KafkaAccessException.from(e, "alert processor " + config.applicationId() + " cannot use "
                    + Topics.INCIDENT_TRIGGERS.name(), kafka).<RuntimeException>map(a -> a).orElse(e);
        }
        streams = new KafkaStreams(AlertTopology.build(config),
                kafka.streams(config.applicationId(), config.stateDir()));
        streams.setUncaughtExceptionHandler(e -> {
            // A failure here is a bug or a broken cluster; retrying would repeat it, so stop and be seen.
            LOG.error("alert processor {} failed, shutting down", config.applicationId(), e);
            String doing = "alert processor " + config.applicationId() + " stopped";
            failure.compareAndSet(null, KafkaAccessException.from(e, doing, kafka).<RuntimeException>map(a -> a)
                    .orElseGet(() -> new IllegalStateException(doing + ": " + e, e)));
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        streams.start();
        responder = new IncidentResponder(config, kafka, fleet, Clock.systemUTC(), new AlertMeters(meters));
        responder.start();
        LOG.info("alert processor {} started with rules {} and {} incident rule(s)", config.applicationId(),
                config.rules(), config.rules().incidents().rules().size());
    }

    /** True while the topology runs (or rebalances) and the incident responder runs. */
    @Override
    public boolean isReady() {
        return isRunning();
    }

    /** True while the topology runs (or rebalances) and the incident responder runs. */
    public synchronized boolean isRunning() {
        return streams != null && streams.state().isRunningOrRebalancing() && responder != null
                && responder.isRunning();
    }

    /**
     * A stream thread that has not polled, or an incident responder loop that has not come round, for
     * {@link Service#DEFAULT_LIVENESS_LIMIT} while they run.
     */
    @Override
    public synchronized Optional<String> stalled() {
        return StreamsLiveness.stalled(streams, DEFAULT_LIVENESS_LIMIT)
                .or(() -> responder == null ? Optional.empty() : responder.stalled(DEFAULT_LIVENESS_LIMIT));
    }

    /** The error that stopped the topology or the incident responder, described for an operator; empty while they run. */
    @Override
    public synchronized Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get()).or(() -> responder == null ? Optional.empty() : responder.failure());
    }

    /** {@code /api/alerts} and {@code /api/silences} over this instance. */
    public AlertsApi api() {
        return new AlertsApi(this);
    }

    /** Alerts firing now, by fingerprint, for the dashboard API; empty before {@link #start()}. */
    public synchronized Map<String, AlertEvent> firingAlerts() {
        return responder == null ? Map.of() : Map.copyOf(responder.firingAlerts());
    }

    /** Silences and acknowledgements stored now, for the dashboard API; empty before {@link #start()}. */
    public synchronized Collection<Silence> silences() {
        return responder == null ? List.of() : List.copyOf(responder.silences());
    }

    /** Stops processing; true if it stopped within {@code timeout}. */
    @Override
    public synchronized boolean close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout == null");
        boolean closed = true;
        if (responder != null) {
            closed = responder.close(timeout);
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (streams != null) {
            // Leave the group: the partitions move to the other instances (or to this one's successor) at once,
            // instead of after the session timeout (45 s) during which no alert would be evaluated.
            closed &= streams.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout));
        }
        return closed;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
