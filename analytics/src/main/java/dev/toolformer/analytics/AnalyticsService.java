package dev.toolformer.analytics;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaAccessException;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.service.Service;
import dev.toolformer.common.service.StreamsLiveness;
import dev.toolformer.schema.SpeculationWindow;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * The analytics service: one Kafka Streams client running {@link AnalyticsTopology}, exactly-once.
 * Every serde is given in the topology, so no default serde is configured. An undecodable result goes to
 * the dead-letter topic (see {@code DeadLetterExceptionHandler}); a dying stream thread
 * is replaced, within limits ({@link ThreadReplacementPolicy}); the error that shuts the client down is
 * reported by {@link #failure()}.
 */
public final class AnalyticsService implements Service {
    private static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;
    private final AnalyticsQueries queries;
    private final AnalyticsApi api;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final LongAdder clamped = new LongAdder();
    private volatile Consumer<SpeculationWindow> finalSpeculation = window -> { };
    private volatile KafkaStreamsMetrics streamsMetrics;

    public AnalyticsService(AnalyticsConfig config, KafkaSettings kafka) {
        Objects.requireNonNull(config, "config == null");
        Objects.requireNonNull(kafka, "kafka == null");
        Properties props = streamsProperties(config, kafka);
        this.streams = new KafkaStreams(AnalyticsTopology.build(config, clamped,
                window -> finalSpeculation.accept(window)), props);
        ThreadReplacementPolicy policy = ThreadReplacementPolicy.standard();
        streams.setUncaughtExceptionHandler(e -> {
            StreamThreadExceptionResponse response = policy.handle(e);
            if (response == StreamThreadExceptionResponse.SHUTDOWN_CLIENT) {
                String doing = "analytics " + config.applicationId() + " stopped";
                failure.compareAndSet(null, KafkaAccessException.from(e, doing, kafka).<RuntimeException>map(a -> a)
                        .orElseGet(() -> new IllegalStateException(doing + ": " + e, e)));
            }
            return response;
        });
        this.queries = AnalyticsQueries.of(streams, config);
        String self = props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG);
        this.api = new AnalyticsApi(queries, Peers.of(streams, self), System::currentTimeMillis);
    }

    /** The shared Streams settings: exactly-once v2, undecodable records to the dead-letter topic. */
    static Properties streamsProperties(AnalyticsConfig config, KafkaSettings kafka) {
        return kafka.streams(config.applicationId(), config.stateDir());
    }

    @Override
    public void start() {
        streams.start();
    }

    /** True while processing or rebalancing, the states in which the service does its work. */
    @Override
    public boolean isReady() {
        return isRunning();
    }

    /** True while processing or rebalancing, the states in which the service does its work. */
    public boolean isRunning() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    }

    /** Interactive queries over this instance's state stores. */
    public AnalyticsQueries queries() {
        return queries;
    }

    /**
     * The {@code /api/...} routes over {@link #queries()}, merging the answers of the other instances when the
     * Kafka settings give this one's {@code application.server} (the host:port its HTTP API is reachable at).
     */
    public AnalyticsApi api() {
        return api;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Hands every final speculation window this instance emits to {@code observer} (see {@link AnalyticsMeters}). */
    public void onFinalSpeculationWindow(Consumer<SpeculationWindow> observer) {
        this.finalSpeculation = Objects.requireNonNull(observer, "observer == null");
    }

    /**
     * Input records whose event time was clamped to the broker's append time since this instance started: their
     * executor's clock was off by more than {@link AnalyticsConfig#clockSkewTolerance()}.
     */
    public long clampedRecords() {
        return clamped.sum();
    }

    /**
     * Records Streams dropped since this instance started (its {@code dropped-records-total} task metrics): above
     * all, results later than their window's grace, which no aggregate counts.
     */
    public double droppedRecords() {
        double dropped = 0;
        for (Map.Entry<MetricName, ? extends Metric> metric : streams.metrics().entrySet()) {
            if (metric.getKey().name().equals("dropped-records-total")
                    && metric.getValue().metricValue() instanceof Number n) {
                dropped += n.doubleValue();
            }
        }
        return dropped;
    }

    /**
     * Publishes the Kafka Streams client's own metrics ({@code kafka_stream_*}: process rates, commit latency,
     * dropped records, state-store figures, and its consumers' and producers' metrics) on {@code registry}, until
     * this service is closed.
     */
    public synchronized void bindStreamsMetrics(MeterRegistry registry) {
        if (streamsMetrics != null) {
            throw new IllegalStateException("Streams metrics already bound");
        }
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
    }

    /** A stream thread that has not polled for {@link Service#DEFAULT_LIVENESS_LIMIT} while the app runs. */
    @Override
    public Optional<String> stalled() {
        return StreamsLiveness.stalled(streams, DEFAULT_LIVENESS_LIMIT);
    }

    /** The error that shut this client down, described for an operator; empty while it runs. */
    @Override
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** Stops processing, committing what was done; false if {@code timeout} passed first. */
    @Override
    public boolean close(Duration timeout) {
        KafkaStreamsMetrics bound = streamsMetrics;
        if (bound != null) {
            bound.close();
        }
        // Leave the group: the partitions move to the other instances (or to this one's successor) at once,
        // instead of after the session timeout (45 s) during which nobody would process them.
        return streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(timeout));
    }

    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }
}
