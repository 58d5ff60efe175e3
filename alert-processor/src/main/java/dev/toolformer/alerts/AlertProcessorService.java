package dev.toolformer.alerts;

import java.time.Duration;
import java.util.Objects;

import dev.toolformer.common.kafka.KafkaSettings;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@link AlertTopology} against a Kafka cluster, exactly-once. */
public final class AlertProcessorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertProcessorService.class);

    private final KafkaSettings kafka;
    private final AlertConfig config;
    private KafkaStreams streams;

    public AlertProcessorService(AlertConfig config, KafkaSettings kafka) {
        this.config = Objects.requireNonNull(config, "config == null");
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
    }

    /** Starts processing; the topics must exist. */
    public synchronized void start() {
        if (streams != null) {
            throw new IllegalStateException("alert processor " + config.applicationId() + " already started");
        }
        streams = new KafkaStreams(AlertTopology.build(config),
                kafka.streams(config.applicationId(), config.stateDir()));
        streams.setUncaughtExceptionHandler(e -> {
            // A failure here is a bug or a broken cluster; retrying would repeat it, so stop and be seen.
            LOG.error("alert processor {} failed, shutting down", config.applicationId(), e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        LOG.info("alert processor {} started with rules {}", config.applicationId(), config.rules());
    }

    public synchronized boolean isRunning() {
        return streams != null && streams.state().isRunningOrRebalancing();
    }

    /** Stops processing; true if it stopped within {@code timeout}. */
    public synchronized boolean close(Duration timeout) {
        if (streams == null) {
            return true;
        }
        return streams.close(Objects.requireNonNull(timeout, "timeout == null"));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
