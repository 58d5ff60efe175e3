package dev.toolformer.alerts.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.toolformer.alerts.AlertConfig;
import dev.toolformer.alerts.AlertTopology;
import dev.toolformer.alerts.Records;
import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.AlertState;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.HealthState;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every rule of the bundled config/alerts/rules.yaml through pending → firing → resolved, on explicit times. */
class DefaultRulesTest {
    private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
    private static final long GIB = 1L << 30;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestOutputTopic<String, AlertEvent> alerts;
    private final List<AlertEvent> all = new ArrayList<>();
    private final Map<String, Integer> seenByRule = new HashMap<>();

    @BeforeEach
    void startDriver() {
        AlertConfig config = AlertConfig.of(AlertRules.defaults(), stateDir);
        driver = new TopologyTestDriver(AlertTopology.build(config),
                KafkaSettings.of("unused:9092").streams(config.applicationId(), config.stateDir()), T);
        alerts = driver.createOutputTopic(Topics.ALERTS.name(), Topics.ALERTS.keySerde().deserializer(),
                Topics.ALERTS.valueSerde().deserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void shouldDriveHighErrorRateAndKeepItFiringForTwoMinutes() {
        for (int minute = 0; minute <= 5; minute++) {
            double errorRate = minute < 3 ? 0.05 : 0.0;
            pipe(Topics.SLO, "k", Records.slo("search", "openai", at(minute), errorRate, 100), at(minute));
        }

        // Healthy from minute 3: still firing at minute 4, resolved at minute 5 (keep_firing_for: 2m).
        assertThat(transitions("HighErrorRate")).containsExactly(
                tuple("HighErrorRate{provider=openai,tool=search}", AlertState.PENDING, T, T),
                tuple("HighErrorRate{provider=openai,tool=search}", AlertState.FIRING, T, at(2)),
                tuple("HighErrorRate{provider=openai,tool=search}", AlertState.RESOLVED, T, at(5)));
    }

    @Test
    void shouldNotFlapHighErrorRateWhileAProviderFailsEveryCall() {
        // The observed incident: every call fails, but each window's first update counts 3 calls, none failed yet
        // (below HighErrorRate's min_requests of 100).
        for (int minute = 0; minute <= 6; minute++) {
            pipe(Topics.SLO, "k", Records.sloUpdate("*", "flaky", at(minute), 3, 0, false), at(minute));
            pipe(Topics.SLO, "k", Records.sloUpdate("*", "flaky", at(minute), 140, 140, false), at(minute));
            pipe(Topics.SLO, "k", Records.sloUpdate("*", "flaky", at(minute), 160, 160, true), at(minute));
        }
        assertThat(transitions("HighErrorRate")).containsExactly(
                tuple("HighErrorRate{provider=flaky,tool=*}", AlertState.PENDING, T, T),
                tuple("HighErrorRate{provider=flaky,tool=*}", AlertState.FIRING, T, at(2)));

        // The provider recovers: resolved once, two minutes after the first healthy window.
        for (int minute = 7; minute <= 10; minute++) {
            pipe(Topics.SLO, "k", Records.sloUpdate("*", "flaky", at(minute), 160, 0, true), at(minute));
        }
        assertThat(transitions("HighErrorRate")).containsExactly(
                tuple("HighErrorRate{provider=flaky,tool=*}", AlertState.RESOLVED, T, at(9)));
    }

    @Test
    void shouldDriveHighLatencyWithLabelsAndAnnotations() {
        for (int minute = 0; minute <= 11; minute++) {
            pipe(Topics.SLO, "k", Records.slo("*", "*", at(minute), 0.0, minute < 6 ? 2500 : 800), at(minute));
        }

        // Fast again from minute 6; keep_firing_for: 5m resolves it at minute 11.
        assertThat(transitions("HighLatency")).containsExactly(
                tuple("HighLatency{provider=*,tool=*}", AlertState.PENDING, T, T),
                tuple("HighLatency{provider=*,tool=*}", AlertState.FIRING, T, at(5)),
                tuple("HighLatency{provider=*,tool=*}", AlertState.RESOLVED, T, at(11)));
        AlertEvent firing = events("HighLatency").get(1);
        assertThat(firing.getLabels()).isEqualTo(Map.of("tool", "*", "provider", "*", "alertname", "HighLatency",
                "severity", "warning", "team", "platform"));
        assertThat(firing.getAnnotations()).isEqualTo(Map.of(
                "summary", "High latency detected for tool=* provider=*",
                "description", "95th percentile latency is 2500 ms (above 2000 ms) for 5 minutes."));
    }

    @Test
    void shouldDriveHighMemoryUsageOnTheHeapRatioOnEventTime() {
        // Records.health reports a 4 GiB heap maximum: 3.6 GiB is a ratio of 0.9, 2 GiB one of 0.5.
        long high = 36 * GIB / 10;
        for (int minute = 0; minute <= 4; minute++) {
            long heap = minute < 4 ? high : 2 * GIB;
            pipe(Topics.HEALTH, "executor-1", Records.health("executor-1", HealthState.UP, heap, at(minute)),
                    at(minute));
        }

        assertThat(transitions("HighMemoryUsage")).containsExactly(
                tuple("HighMemoryUsage{executor=executor-1}", AlertState.PENDING, T, T),
                tuple("HighMemoryUsage{executor=executor-1}", AlertState.FIRING, T, at(3)),
                tuple("HighMemoryUsage{executor=executor-1}", AlertState.RESOLVED, T, at(4)));
        assertThat(events("HighMemoryUsage").get(1).getValue()).isCloseTo(0.9, within(1e-9));
    }

    @Test
    void shouldFireHighMemoryUsageOnTheShippedContainersHeapWhereTheAbsoluteRuleCannot() {
        // deploy/k8s: limit 1Gi, MaxRAMPercentage=75 -> a 768 MiB heap; 700 MiB in use is 91 % of it.
        long max = 768L << 20;
        for (int minute = 0; minute <= 3; minute++) {
            ExecutorHealth health = ExecutorHealth.newBuilder(
                            Records.health("executor-1", HealthState.UP, 700L << 20, at(minute)))
                    .setHeapMaxBytes(max).setHeapUsedRatio(700.0 / 768).build();
            pipe(Topics.HEALTH, "executor-1", health, at(minute));
        }

        assertThat(transitions("HighMemoryUsage")).extracting(t -> t.toList().get(1))
                .containsExactly(AlertState.PENDING, AlertState.FIRING);
        assertThat(transitions("HighMemoryUsageBytes")).isEmpty();
    }

    @Test
    void shouldKeepTheSpecsAbsoluteHighMemoryRuleAsHighMemoryUsageBytes() {
        for (int minute = 0; minute <= 4; minute++) {
            long heap = minute < 4 ? 2 * GIB : GIB / 2;
            pipe(Topics.HEALTH, "executor-1", Records.health("executor-1", HealthState.UP, heap, at(minute)),
                    at(minute));
        }

        assertThat(transitions("HighMemoryUsageBytes")).containsExactly(
                tuple("HighMemoryUsageBytes{executor=executor-1}", AlertState.PENDING, T, T),
                tuple("HighMemoryUsageBytes{executor=executor-1}", AlertState.FIRING, T, at(3)),
                tuple("HighMemoryUsageBytes{executor=executor-1}", AlertState.RESOLVED, T, at(4)));
        assertThat(events("HighMemoryUsageBytes").get(1).getValue()).isEqualTo(2.0 * GIB);
    }

    @Test
    void shouldResolveServiceDownWhenTheExecutorTurnsOutToHaveLeft() {
        pipe(Topics.HEALTH, "executor-2", Records.health("executor-2", HealthState.DOWN, GIB / 4, T), T);
        driver.advanceWallClockTime(Duration.ofSeconds(61));
        assertThat(transitions("ServiceDown")).extracting(t -> t.toList().get(1))
                .containsExactly(AlertState.PENDING, AlertState.FIRING);

        pipe(Topics.HEALTH, "executor-2", Records.health("executor-2", HealthState.LEFT, GIB / 4, at(2)), at(2));

        assertThat(transitions("ServiceDown")).containsExactly(
                tuple("ServiceDown{executor=executor-2}", AlertState.RESOLVED, T, at(2)));
    }

    @Test
    void shouldNeverFireServiceDownForAnExecutorThatLeft() {
        pipe(Topics.HEALTH, "executor-3", Records.health("executor-3", HealthState.LEFT, GIB / 4, T), T);
        driver.advanceWallClockTime(Duration.ofMinutes(30));

        assertThat(transitions("ServiceDown")).isEmpty();
    }

    @Test
    void shouldResolveEveryAlertOfAnExecutorWhoseHealthIsTombstoned() {
        pipe(Topics.HEALTH, "executor-2", Records.health("executor-2", HealthState.DOWN, 2 * GIB, T), T);
        driver.advanceWallClockTime(Duration.ofMinutes(4));
        assertThat(transitions("ServiceDown")).extracting(t -> t.toList().get(1))
                .containsExactly(AlertState.PENDING, AlertState.FIRING);

        driver.createInputTopic(Topics.HEALTH.name(), new StringSerializer(), new ByteArraySerializer())
                .pipeInput("executor-2", null, at(10));

        assertThat(transitions("ServiceDown")).extracting(t -> t.toList().get(0), t -> t.toList().get(1))
                .containsExactly(tuple("ServiceDown{executor=executor-2}", AlertState.RESOLVED));
        assertThat(transitions("HighMemoryUsageBytes")).extracting(t -> t.toList().get(1))
                .containsExactly(AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED);
        // Gone means gone: no state is left to fire from on wall clock.
        driver.advanceWallClockTime(Duration.ofMinutes(30));
        assertThat(transitions("ServiceDown")).isEmpty();
    }

    @Test
    void shouldFireServiceDownOnWallClockWhenNoFurtherHealthRecordArrives() {
        pipe(Topics.HEALTH, "executor-2", Records.health("executor-2", HealthState.DOWN, GIB / 4, T), T);
        driver.advanceWallClockTime(Duration.ofSeconds(45));
        assertThat(transitions("ServiceDown")).containsExactly(
                tuple("ServiceDown{executor=executor-2}", AlertState.PENDING, T, T));

        driver.advanceWallClockTime(Duration.ofSeconds(15));
        pipe(Topics.HEALTH, "executor-2", Records.health("executor-2", HealthState.UP, GIB / 4, at(2)), at(2));

        assertThat(transitions("ServiceDown")).containsExactly(
                tuple("ServiceDown{executor=executor-2}", AlertState.FIRING, T, at(1)),
                tuple("ServiceDown{executor=executor-2}", AlertState.RESOLVED, T, at(2)));
    }

    @Test
    void shouldDriveHighApiCostsOnHourlyWindowsOnly() {
        Instant hour = T.plus(Duration.ofHours(1));
        pipe(Topics.COST, "k", Records.cost("openai", "gpt-4o", "1m", at(1), 150, null), at(1));
        pipe(Topics.COST, "k", Records.cost("openai", "gpt-4o", "1h", hour, 40, null), at(10));
        pipe(Topics.COST, "k", Records.cost("openai", "gpt-4o", "1h", hour, 120.5, null), at(30));
        pipe(Topics.COST, "k", Records.cost("openai", "gpt-4o", "1h", hour.plus(Duration.ofHours(1)), 3, null), hour);

        String fingerprint = "HighAPICosts{model=gpt-4o,provider=openai,window_size=1h}";
        assertThat(transitions("HighAPICosts")).containsExactly(
                tuple(fingerprint, AlertState.FIRING, hour, hour),
                tuple(fingerprint, AlertState.RESOLVED, hour, hour.plus(Duration.ofHours(1))));
        assertThat(events("HighAPICosts").get(0).getAnnotations().get("description"))
                .isEqualTo("API costs reached $120.5 in the hour (above $100).");
    }

    @Test
    void shouldDriveCostPerRequestVarianceIgnoringWindowsWithoutBaseline() {
        Instant hour = T.plus(Duration.ofHours(1));
        pipe(Topics.COST, "k", Records.cost("anthropic", "claude", "1h", hour, 1, null), at(1));
        pipe(Topics.COST, "k", Records.cost("anthropic", "claude", "1h", hour.plusSeconds(3600), 1, 0.25), at(61));
        pipe(Topics.COST, "k", Records.cost("anthropic", "claude", "1h", hour.plusSeconds(7200), 1, 0.05), at(121));

        String fingerprint = "CostPerRequestVariance{model=claude,provider=anthropic,window_size=1h}";
        assertThat(transitions("CostPerRequestVariance")).containsExactly(
                tuple(fingerprint, AlertState.FIRING, hour.plusSeconds(3600), hour.plusSeconds(3600)),
                tuple(fingerprint, AlertState.RESOLVED, hour.plusSeconds(3600), hour.plusSeconds(7200)));
    }

    @Test
    void shouldDriveLowSpeculationAccuracyButNotWithoutSpeculation() {
        pipe(Topics.SPECULATION, "k", Records.speculation("search", at(0), 0, 0), at(0));
        for (int minute = 1; minute <= 12; minute++) {
            pipe(Topics.SPECULATION, "k", Records.speculation("search", at(minute), minute < 12 ? 4 : 9,
                    minute < 12 ? 6 : 1), at(minute));
        }

        assertThat(transitions("LowSpeculationAccuracy")).containsExactly(
                tuple("LowSpeculationAccuracy{tool=search}", AlertState.PENDING, at(1), at(1)),
                tuple("LowSpeculationAccuracy{tool=search}", AlertState.FIRING, at(1), at(11)),
                tuple("LowSpeculationAccuracy{tool=search}", AlertState.RESOLVED, at(1), at(12)));
        assertThat(events("LowSpeculationAccuracy").get(1).getValue()).isEqualTo(0.4);
    }

    @ParameterizedTest
    @CsvSource({"ErrorBudgetBurn1h, 1h, 5m, 14.4, page", "ErrorBudgetBurn6h, 6h, 30m, 6, page",
            "ErrorBudgetBurn1d, 1d, 2h, 3, ticket", "ErrorBudgetBurn3d, 3d, 6h, 1, ticket"})
    void shouldDriveBurnRatePairOnlyWhenBothWindowsBurn(String rule, String longWindow, String shortWindow,
                                                        double factor, String severity) {
        double burning = factor * 1.5;
        pipe(Topics.BURN_RATES, "availability", Records.burn("availability", at(0),
                Map.of(longWindow, burning)), at(0));
        pipe(Topics.BURN_RATES, "availability", Records.burn("availability", at(1),
                Map.of(longWindow, burning, shortWindow, burning)), at(1));
        pipe(Topics.BURN_RATES, "availability", Records.burn("availability", at(2),
                Map.of(longWindow, burning, shortWindow, factor)), at(2));

        String fingerprint = rule + "{slo=availability}";
        assertThat(transitions(rule)).containsExactly(
                tuple(fingerprint, AlertState.FIRING, at(1), at(1)),
                tuple(fingerprint, AlertState.RESOLVED, at(1), at(2)));
        AlertEvent firing = events(rule).get(0);
        assertThat(firing.getSeverity()).isEqualTo(severity);
        assertThat(firing.getValue()).isEqualTo(burning);
        assertThat(firing.getThreshold()).isEqualTo(factor);
    }

    @Test
    void shouldFireSloDataAbsentAfterTenMinutesWithoutBurnRatesAndResolveOnData() {
        pipe(Topics.BURN_RATES, "latency", Records.burn("latency", T, Map.of()), T);
        driver.advanceWallClockTime(Duration.ofMinutes(9));
        assertThat(transitions("SloDataAbsent")).isEmpty();

        driver.advanceWallClockTime(Duration.ofMinutes(1));
        pipe(Topics.BURN_RATES, "latency", Records.burn("latency", at(11), Map.of()), at(11));

        assertThat(transitions("SloDataAbsent")).containsExactly(
                tuple("SloDataAbsent{slo=latency}", AlertState.FIRING, at(10), at(10)),
                tuple("SloDataAbsent{slo=latency}", AlertState.RESOLVED, at(10), at(10)));
    }

    @Test
    void shouldNotAnnounceAnUnchangedAlertAgain() {
        for (int i = 0; i < 5; i++) {
            pipe(Topics.COST, "k", Records.cost("openai", "gpt-4o", "1h", at(60), 150 + i, null), at(i));
        }

        assertThat(transitions("HighAPICosts")).hasSize(1);
    }

    private static Instant at(int minute) {
        return T.plus(Duration.ofMinutes(minute));
    }

    @SuppressWarnings("unchecked")
    private <V extends SpecificRecord> void pipe(Topic<V> topic, String key, SpecificRecord value, Instant time) {
        driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer())
                .pipeInput(key, (V) value, time);
    }

    private List<AlertEvent> events(String rule) {
        all.addAll(alerts.readValuesToList());
        return all.stream().filter(e -> e.getRule().equals(rule)).toList();
    }

    /** (fingerprint, state, active_since, event_time) of the rule's transitions not yet returned. */
    private List<Tuple> transitions(String rule) {
        int seen = seenByRule.getOrDefault(rule, 0);
        List<AlertEvent> events = events(rule);
        seenByRule.put(rule, events.size());
        return events.subList(seen, events.size()).stream()
                .map(e -> tuple(e.getFingerprint(), e.getState(), e.getActiveSince(), e.getEventTime())).toList();
    }
}
