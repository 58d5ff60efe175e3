package dev.toolformer.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.toolformer.alerts.rules.AlertRule;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.alerts.rules.Expr;
import dev.toolformer.alerts.silence.Silences;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.HealthState;
import dev.toolformer.schema.Silence;
import dev.toolformer.schema.SloWindow;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertTopologyTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final String GLOBAL = "HighErrorRate{provider=*,tool=*}";
    /** The wall clock of the test driver; silences are in force from here. */
    private static final Instant WALL = T;
    private static final long GIB = 1L << 30;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, SloWindow> slo;
    private TestOutputTopic<String, AlertEvent> alerts;
    private TestInputTopic<String, Silence> silences;

    @AfterEach
    void closeDriver() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void shouldFireImmediatelyWhenForIsZero() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.05, false));

        assertThat(alerts.readRecordsToList()).containsExactly(new TestRecord<>(GLOBAL, AlertEvent.newBuilder()
                .setFingerprint(GLOBAL)
                .setRule("HighErrorRate")
                .setState(AlertState.FIRING)
                .setSeverity("critical")
                .setLabels(Map.of("tool", "*", "provider", "*", "alertname", "HighErrorRate", "severity", "critical"))
                .setAnnotations(Map.of("summary", "Error rate 0.05 above 0.01 for *"))
                .setValue(0.05)
                .setThreshold(0.01)
                .setActiveSince(T)
                .setEventTime(T)
                .setSourceTopic("toolformer.slo")
                .build(), T.minusSeconds(30)));
    }

    @Test
    void shouldGoPendingThenFiringAfterForDuration() {
        start(errorRateRule(Duration.ofMinutes(2), Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.05, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.03, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.04, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.PENDING, 0.05, T, T),
                transition(GLOBAL, AlertState.FIRING, 0.04, T, T.plusSeconds(120)));
    }

    @Test
    void shouldResolveWhenConditionClears() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.05, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.002, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.0, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.FIRING, 0.05, T, T),
                transition(GLOBAL, AlertState.RESOLVED, 0.002, T, T.plusSeconds(60)));
    }

    @Test
    void shouldResolvePendingAlertWhenConditionClearsBeforeFor() {
        start(errorRateRule(Duration.ofMinutes(2), Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.05, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.05, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.PENDING, 0.05, T, T),
                transition(GLOBAL, AlertState.RESOLVED, 0.0, T, T.plusSeconds(60)),
                transition(GLOBAL, AlertState.PENDING, 0.05, T.plusSeconds(120), T.plusSeconds(120)));
    }

    @Test
    void shouldNotRepeatFiringTransition() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.02, false));
        pipe(window("*", "*", T, 0.05, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.06, false));
        pipe(window("*", "*", T.plusSeconds(60), 0.07, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.08, true));

        assertThat(transitions()).containsExactly(transition(GLOBAL, AlertState.FIRING, 0.02, T, T));
    }

    @Test
    void shouldKeepSeparateStatePerLabelSet() {
        start(errorRateRule(Duration.ZERO, Map.of()));

        pipe(window("search", "openai", T, 0.05, true));
        pipe(window("fetch", "openai", T, 0.0, true));
        pipe(window("fetch", "openai", T.plusSeconds(60), 0.2, true));
        pipe(window("search", "openai", T.plusSeconds(60), 0.0, true));

        assertThat(transitions()).containsExactly(
                transition("HighErrorRate{provider=openai,tool=search}", AlertState.FIRING, 0.05, T, T),
                transition("HighErrorRate{provider=openai,tool=fetch}", AlertState.FIRING, 0.2,
                        T.plusSeconds(60), T.plusSeconds(60)),
                transition("HighErrorRate{provider=openai,tool=search}", AlertState.RESOLVED, 0.0, T,
                        T.plusSeconds(60)));
    }

    @Test
    void shouldIgnoreNonMatchingWindows() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("search", "openai", T, 0.5, true));
        pipe(window("*", "openai", T, 0.5, true));
        pipe(window("search", "*", T, 0.5, true));

        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void shouldIgnoreWindowsOlderThanLastEvaluated() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T.plusSeconds(60), 0.05, true));
        pipe(window("*", "*", T, 0.0, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.05, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.FIRING, 0.05, T.plusSeconds(60), T.plusSeconds(60)),
                transition(GLOBAL, AlertState.RESOLVED, 0.0, T.plusSeconds(60), T.plusSeconds(120)));
    }

    @Test
    void shouldResolveWhenFinalUpdateOfOpenWindowNoLongerHolds() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.5, false));
        pipe(window("*", "*", T, 0.001, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.FIRING, 0.5, T, T),
                transition(GLOBAL, AlertState.RESOLVED, 0.001, T, T));
    }

    @Test
    void shouldNeitherResolveNorRestartOnTheFirstUpdatesOfEachWindow() {
        // As observed: a provider fails every call, but each new one-minute window is first emitted with a
        // handful of calls, none failed yet. Those updates must not resolve the pending or firing alert.
        start(errorRateRule(Duration.ofMinutes(2), Map.of("tool", "*", "provider", "*")));

        for (int minute = 0; minute <= 4; minute++) {
            Instant end = T.plus(Duration.ofMinutes(minute));
            pipe(Records.sloUpdate("*", "*", end, 3, 0, false));
            pipe(Records.sloUpdate("*", "*", end, 20, 20, false));
            pipe(Records.sloUpdate("*", "*", end, 60, 60, true));
        }

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.PENDING, 1.0, T, T),
                transition(GLOBAL, AlertState.FIRING, 1.0, T, T.plusSeconds(120)));
    }

    @Test
    void shouldNotResolveAFiringAlertOnTheFirstUpdateOfTheNextWindow() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(Records.sloUpdate("*", "*", T, 60, 60, true));
        pipe(Records.sloUpdate("*", "*", T.plusSeconds(60), 3, 0, false));
        pipe(Records.sloUpdate("*", "*", T.plusSeconds(60), 20, 20, false));
        pipe(Records.sloUpdate("*", "*", T.plusSeconds(60), 60, 60, true));

        assertThat(transitions()).containsExactly(transition(GLOBAL, AlertState.FIRING, 1.0, T, T));
    }

    @Test
    void shouldNotFireOnAWindowWithFewerCallsThanMinRequests() {
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(Records.sloUpdate("*", "*", T, 2, 2, false));
        pipe(Records.sloUpdate("*", "*", T, 9, 9, true));
        pipe(Records.sloUpdate("*", "*", T.plusSeconds(60), 10, 10, false));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.FIRING, 1.0, T.plusSeconds(60), T.plusSeconds(60)));
    }

    @Test
    void shouldKeepFiringThroughAHealthyStretchShorterThanKeepFiringForAndResolveOnceAfterALongerOne() {
        start(errorRateRule(Duration.ZERO, Duration.ofMinutes(2)));

        pipe(window("*", "*", T, 0.05, true));
        // Healthy for one minute (windows ending at +1m and +2m), then failing again: the clock restarts.
        pipe(window("*", "*", T.plusSeconds(60), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(120), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(180), 0.05, true));
        // Healthy from +4m: at +6m the condition has not held for two minutes.
        pipe(window("*", "*", T.plusSeconds(240), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(300), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(360), 0.0, true));
        pipe(window("*", "*", T.plusSeconds(420), 0.0, true));

        assertThat(transitions()).containsExactly(
                transition(GLOBAL, AlertState.FIRING, 0.05, T, T),
                transition(GLOBAL, AlertState.RESOLVED, 0.0, T, T.plusSeconds(360)));
    }

    @Test
    void shouldResolveAStateSourceAlertOnWallClockOnceKeepFiringForHasRunOut() {
        start(AlertRules.of(new AlertRule("HighMemoryUsage", Topics.HEALTH.name(),
                new Expr.Threshold("heap_used_bytes", Expr.Comparator.GT, GIB), Duration.ZERO,
                Duration.ofMinutes(2), 0, "warning", Map.of(), Map.of(), Map.of())));
        TestInputTopic<String, ExecutorHealth> health = driver.createInputTopic(Topics.HEALTH.name(),
                Topics.HEALTH.keySerde().serializer(), Topics.HEALTH.valueSerde().serializer());

        health.pipeInput("executor-1", Records.health("executor-1", HealthState.UP, 2 * GIB, WALL), WALL);
        driver.advanceWallClockTime(Duration.ofSeconds(30));
        health.pipeInput("executor-1", Records.health("executor-1", HealthState.UP, GIB / 2, WALL.plusSeconds(30)),
                WALL.plusSeconds(30));
        driver.advanceWallClockTime(Duration.ofSeconds(119));
        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getState).containsExactly(AlertState.FIRING);

        driver.advanceWallClockTime(Duration.ofSeconds(1));
        driver.advanceWallClockTime(Duration.ofMinutes(5));

        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getState, AlertEvent::getActiveSince,
                AlertEvent::getEventTime).containsExactly(tuple(AlertState.RESOLVED, WALL, WALL.plusSeconds(150)));
    }

    @Test
    void shouldWriteAlertStateToChangelogSoRestartsRestoreIt() {
        // The test driver wipes local state on close, so restoring is shown by what the changelog holds.
        start(errorRateRule(Duration.ZERO, Map.of("tool", "*", "provider", "*")));

        pipe(window("*", "*", T, 0.05, true));
        pipe(window("*", "*", T.plusSeconds(60), 0.06, true));

        TestOutputTopic<String, AlertStatus> changelog = driver.createOutputTopic(
                "toolformer-alert-processor-alert-state-slo-changelog", Serdes.String().deserializer(),
                new AlertStatusSerde());
        assertThat(changelog.readKeyValuesToMap()).isEqualTo(Map.of(GLOBAL,
                new AlertStatus(AlertStatus.Phase.FIRING, T, T.plusSeconds(60), 0.06,
                        Map.of("tool", "*", "provider", "*"))));
    }

    @Test
    void shouldMarkEventsSilencedWhileASilenceMatches() {
        start(errorRateRule(Duration.ZERO, Map.of()));
        silences.pipeInput("silence:1", Silences.silence(Map.of("tool", "search"), WALL, Duration.ofHours(1), "me",
                "maintenance"), WALL);

        pipe(window("search", "openai", T, 0.05, true));
        pipe(window("fetch", "openai", T, 0.05, true));

        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getFingerprint, AlertEvent::getSilenced)
                .containsExactly(tuple("HighErrorRate{provider=openai,tool=search}", true),
                        tuple("HighErrorRate{provider=openai,tool=fetch}", false));
    }

    @Test
    void shouldStopMarkingSilencedOnceTheSilenceIsExpiredByTombstone() {
        start(errorRateRule(Duration.ZERO, Map.of()));
        silences.pipeInput("silence:1", Silences.silence(Map.of("tool", "search"), WALL, Duration.ofHours(1), "me",
                ""), WALL);
        silences.pipeInput("silence:1", null, WALL);

        pipe(window("search", "openai", T, 0.05, true));

        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getSilenced).containsExactly(false);
    }

    @Test
    void shouldMarkEventsOfAnAcknowledgedEpisodeAcknowledged() {
        start(errorRateRule(Duration.ZERO, Map.of()));
        String fingerprint = "HighErrorRate{provider=openai,tool=search}";

        pipe(window("search", "openai", T, 0.05, true));
        driver.advanceWallClockTime(Duration.ofSeconds(90));
        silences.pipeInput("ack:" + fingerprint, Silences.acknowledgement(fingerprint, T.plusSeconds(90),
                Duration.ofHours(1), "me", "looking"), T.plusSeconds(90));
        pipe(window("search", "openai", T.plusSeconds(60), 0.0, true));
        pipe(window("search", "openai", T.plusSeconds(120), 0.05, true));

        // The acknowledgement covers the episode it was made in, not the next one.
        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getState, AlertEvent::getAcknowledged)
                .containsExactly(tuple(AlertState.FIRING, false), tuple(AlertState.RESOLVED, true),
                        tuple(AlertState.FIRING, false));
    }

    @Test
    void shouldNotReportANewEpisodeAsAcknowledged() {
        start(errorRateRule(Duration.ZERO, Map.of()));
        String fingerprint = "HighErrorRate{provider=openai,tool=search}";
        silences.pipeInput("ack:" + fingerprint, Silences.acknowledgement(fingerprint, T.minusSeconds(600),
                Duration.ofDays(1), "me", ""), WALL);

        pipe(window("search", "openai", T, 0.05, true));

        assertThat(alerts.readValuesToList()).extracting(AlertEvent::getAcknowledged).containsExactly(false);
    }

    private void start(AlertRule rule) {
        start(AlertRules.of(rule));
    }

    private void start(AlertRules rules) {
        AlertConfig config = AlertConfig.of(rules, stateDir);
        driver = new TopologyTestDriver(AlertTopology.build(config),
                KafkaSettings.of("unused:9092").streams(config.applicationId(), config.stateDir()), WALL);
        silences = driver.createInputTopic(Silences.TOPIC.name(), Serdes.String().serializer(),
                Silences.SERDE.serializer());
        slo = driver.createInputTopic(Topics.SLO.name(), Topics.SLO.keySerde().serializer(),
                Topics.SLO.valueSerde().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS.name(), Topics.ALERTS.keySerde().deserializer(),
                Topics.ALERTS.valueSerde().deserializer());
    }

    /** A global error-rate rule that fires at once and keeps firing for {@code keepFiringFor}. */
    private static AlertRule errorRateRule(Duration forDuration, Duration keepFiringFor) {
        return new AlertRule("HighErrorRate", Topics.SLO.name(), new Expr.Threshold("error_rate",
                Expr.Comparator.GT, 0.01), forDuration, keepFiringFor, AlertRule.DEFAULT_SLO_MIN_REQUESTS, "critical",
                Map.of("tool", "*", "provider", "*"), Map.of(), Map.of("summary", "Error rate {{value}}"));
    }

    private static AlertRule errorRateRule(Duration forDuration, Map<String, String> matchers) {
        return new AlertRule("HighErrorRate", "error_rate", Expr.Comparator.GT, 0.01, forDuration, "critical",
                matchers, Map.of("summary", "Error rate {{value}} above {{threshold}} for {{tool}}"));
    }

    private void pipe(SloWindow window) {
        String key = window.getTool() + "|" + window.getProvider() + "|" + window.getWindowStart();
        slo.pipeInput(key, window, window.getWindowEnd().minusSeconds(30));
    }

    /** Transitions as (key, state, value, active_since, event_time), the parts these tests vary. */
    private List<List<Object>> transitions() {
        return alerts.readRecordsToList().stream()
                .map(r -> List.<Object>of(r.key(), r.value().getState(), r.value().getValue(),
                        r.value().getActiveSince(), r.value().getEventTime()))
                .toList();
    }

    private static List<Object> transition(String fingerprint, AlertState state, double value, Instant activeSince,
                                           Instant eventTime) {
        return List.of(fingerprint, state, value, activeSince, eventTime);
    }

    private static SloWindow window(String tool, String provider, Instant end, double errorRate, boolean isFinal) {
        return window(tool, provider, end, errorRate, 120.0, isFinal);
    }

    private static SloWindow window(String tool, String provider, Instant end, double errorRate, double p95,
                                    boolean isFinal) {
        return SloWindow.newBuilder()
                .setWindowStart(end.minusSeconds(60))
                .setWindowEnd(end)
                .setTool(tool)
                .setProvider(provider)
                .setIsFinal(isFinal)
                .setRequests(1000)
                .setSuccess(1000 - Math.round(errorRate * 1000))
                .setErrors(Math.round(errorRate * 1000))
                .setTimeouts(0)
                .setCancelled(0)
                .setRejected(0)
                .setErrorRate(errorRate)
                .setAvailability(1 - errorRate)
                .setThroughputPerS(1000 / 60.0)
                .setLatencyP50Ms(p95 / 2)
                .setLatencyP95Ms(p95)
                .setLatencyP99Ms(p95 * 1.5)
                .setLatencyMaxMs(p95 * 2)
                .setExecutionP50Ms(p95 / 3)
                .setExecutionP95Ms(p95 / 2)
                .setExecutionP99Ms(p95)
                .setExecutionMaxMs(p95 * 1.5)
                .setEmittedAt(end)
                .build();
    }
}
