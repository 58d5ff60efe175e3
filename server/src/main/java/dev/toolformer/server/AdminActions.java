package dev.toolformer.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import dev.toolformer.alerts.AlertHistory;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.control.ControlCommands;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ControlAction;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.Silence;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * What an operator may do to the running pipeline, shared by the CLI ({@code silence}, {@code ack}) and
 * the admin HTTP endpoints: silence alerts, expire a silence, acknowledge an alert (all on
 * toolformer.silences) and cancel a request (a CANCEL command on toolformer.control). Checks its input
 * first; a bad value is a {@link BadInput} naming the field.
 */
public final class AdminActions implements AutoCloseable {
    /** The longest silence or acknowledgement: a forgotten one must not mute an alert for ever. */
    static final Duration MAX_DURATION = Duration.ofDays(90);
    static final int MAX_MATCHERS = 32;
    static final int MAX_TEXT = 1_000;
    static final int MAX_ID = 512;
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
    private static final long SEND_TIMEOUT_S = 30;

    private final KafkaSettings kafka;
    private final Clock clock;
    private final Silences.Writer silences;

    public AdminActions(KafkaSettings kafka) {
        this(kafka, Clock.systemUTC());
    }

    AdminActions(KafkaSettings kafka, Clock clock) {
        this.kafka = Objects.requireNonNull(kafka, "kafka == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
        this.silences = new Silences.Writer(kafka);
    }

    /** Closes the producer of silences and acknowledgements, if one was opened. */
    @Override
    public void close() {
        silences.close();
    }

    /** Input that cannot be acted on; {@code field} names the part that is wrong. */
    static final class BadInput extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        BadInput(String field, String message) {
            super(message);
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    /** The silence, alert or request named by {@code field} does not exist (or is no longer active). */
    static final class NotFound extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        NotFound(String field, String message) {
            super(message);
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    /** An acknowledgement written, and the alert it acknowledges. */
    public record Acknowledged(Silence entry, AlertEvent alert) {
    }

    /** Silences every alert whose labels contain {@code matchers}, from now for {@code duration}. */
    public Silence silence(Map<String, String> matchers, Duration duration, String author, String comment) {
        checkMatchers(matchers);
        checkDuration(duration);
        Silence silence = Silences.silence(matchers, clock.instant(), duration, text("author", author),
                text("comment", comment));
        silences.publish(silence);
        return silence;
    }

    /** Expires the silence or acknowledgement {@code id} now; {@link NotFound} if none is stored. */
    public void expire(String id) {
        checkId("id", id);
        if (Silences.readAll(kafka).stream().noneMatch(s -> s.getId().equals(id))) {
            throw new NotFound("id", "no silence or acknowledgement " + id + " is stored (see 'toolformer silence --list')");
        }
        silences.expire(id);
    }

    /**
     * Acknowledges the current episode of the active (pending or firing) alert {@code fingerprint} for
     * {@code duration}; {@link NotFound} if it is not active.
     */
    public Acknowledged acknowledge(String fingerprint, Duration duration, String author, String comment) {
        checkId("fingerprint", fingerprint);
        checkDuration(duration);
        AlertEvent alert = AlertHistory.latest(kafka).get(fingerprint);
        if (alert == null || alert.getState() == AlertState.RESOLVED) {
            throw new NotFound("fingerprint", "no active alert " + fingerprint + " (see 'toolformer alerts')");
        }
        Instant now = clock.instant();
        Silence ack = Silences.acknowledgement(fingerprint, now, duration, text("author", author),
                text("comment", comment));
        if (alert.getActiveSince().isAfter(now)) {
            // A windowed alert's episode begins at its window's end, which can lie ahead of the wall clock
            // while the window is open; an acknowledgement covers episodes begun by its created_at, so it
            // must not predate the one the operator is looking at.
            ack = Silence.newBuilder(ack).setCreatedAt(alert.getActiveSince()).build();
        }
        silences.publish(ack);
        return new Acknowledged(ack, alert);
    }

    /**
     * Tells every executor to cancel {@code requestId}: a running request finishes CANCELLED at once, one
     * not read yet when it is read. Returns the command written.
     */
    ControlCommand cancel(String requestId, String reason, String author) {
        checkId("request_id", requestId);
        ControlCommand command = ControlCommands.toEveryExecutor(ControlAction.CANCEL, text("author", author),
                        clock.instant())
                .setRequestId(requestId)
                .setReason(text("reason", reason))
                .build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("toolformer-admin"))) {
            producer.send(ControlCommands.record(command)).get(SEND_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + Topics.CONTROL.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write to " + Topics.CONTROL.name() + ": " + e.getMessage(), e);
        }
        return command;
    }

    private static void checkMatchers(Map<String, String> matchers) {
        if (matchers == null || matchers.isEmpty()) {
            throw new BadInput("matchers", "matchers is empty: expected at least one label=value");
        }
        if (matchers.size() > MAX_MATCHERS) {
            throw new BadInput("matchers", "matchers has " + matchers.size() + " entries: expected at most "
                    + MAX_MATCHERS);
        }
        for (Map.Entry<String, String> m : matchers.entrySet()) {
            if (m.getKey() == null || !LABEL_NAME.matcher(m.getKey()).matches() || m.getKey().length() > 100) {
                throw new BadInput("matchers", "matcher label '" + m.getKey()
                        + "' is not a label name: expected a letter or _, then letters, digits, _ . or -; at most 100");
            }
            if (m.getValue() == null || m.getValue().isEmpty() || m.getValue().length() > MAX_ID) {
                throw new BadInput("matchers", "matcher " + m.getKey() + " has an empty or too long value:"
                        + " expected 1 to " + MAX_ID + " characters");
            }
        }
    }

    private static void checkDuration(Duration duration) {
        if (duration == null || !duration.isPositive() || duration.compareTo(MAX_DURATION) > 0) {
            throw new BadInput("duration", "duration is " + duration + ": expected more than 0 and at most "
                    + MAX_DURATION.toDays() + "d");
        }
    }

    private static void checkId(String field, String id) {
        if (id == null || id.isBlank() || id.length() > MAX_ID || id.chars().anyMatch(Character::isISOControl)) {
            throw new BadInput(field, field + " must be 1 to " + MAX_ID + " characters without control characters");
        }
    }

    /** Free text ({@code author}, {@code comment}, {@code reason}): null is empty; bounded, no control characters. */
    private static String text(String field, String value) {
        if (value == null) {
            return "";
        }
        if (value.length() > MAX_TEXT || value.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
            throw new BadInput(field, field + " must be at most " + MAX_TEXT
                    + " characters without control characters (other than newlines)");
        }
        return value;
    }
}
