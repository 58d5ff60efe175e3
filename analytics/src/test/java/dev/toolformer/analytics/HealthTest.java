package dev.toolformer.analytics;

import static dev.toolformer.analytics.AnalyticsDriver.WALL_CLOCK;
import static dev.toolformer.analytics.AnalyticsDriver.heartbeat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.toolformer.common.topic.Topics;
import dev.toolformer.schema.ExecutorHealth;
import dev.toolformer.schema.ExecutorHeartbeat;
import dev.toolformer.schema.ExecutorState;
import dev.toolformer.schema.HealthState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthTest {
    @TempDir
    Path stateDir;

    private AnalyticsDriver driver;

    @BeforeEach
    void start() {
        driver = new AnalyticsDriver(AnalyticsConfig.defaults(stateDir));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldPublishAnExecutorUpWithItsResourcesWhenFirstSeen() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));

        KeyValue<String, ExecutorHealth> up = driver.health.readKeyValue();

        assertThat(up.key).isEqualTo("exec-1");
        assertThat(up.value).isEqualTo(ExecutorHealth.newBuilder()
                .setExecutorId("exec-1").setState(HealthState.UP).setLastSeen(WALL_CLOCK)
                .setHeapUsedBytes(100L << 20).setHeapMaxBytes(1L << 30).setHeapUsedRatio(100.0 / 1024)
                .setCpuPercent(12.5).setInFlight(3)
                .setConsumerLag(7).setChangedAt(WALL_CLOCK).build());
        assertThat(driver.health.isEmpty()).isTrue();
    }

    @Test
    void shouldMarkASilentExecutorDownOnceTheTimeoutHasPassedByWallClock() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.health.readKeyValuesToList();

        driver.advanceWallClock(Duration.ofSeconds(59));
        assertThat(driver.health.readValuesToList()).extracting(ExecutorHealth::getState)
                .containsOnly(HealthState.UP);

        driver.advanceWallClock(Duration.ofSeconds(2));

        List<ExecutorHealth> down = driver.health.readValuesToList();
        assertThat(down).extracting(ExecutorHealth::getState, ExecutorHealth::getLastSeen,
                        ExecutorHealth::getChangedAt)
                .contains(tuple(HealthState.DOWN, WALL_CLOCK, WALL_CLOCK.plusSeconds(61)))
                .doesNotContain(tuple(HealthState.UP, WALL_CLOCK, WALL_CLOCK));
    }

    @Test
    void shouldMarkAnExecutorUpAgainWhenItsHeartbeatsResume() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.advanceWallClock(Duration.ofSeconds(61));
        driver.health.readKeyValuesToList();

        driver.pipe(heartbeat("exec-1", WALL_CLOCK.plusSeconds(61), 0));

        assertThat(driver.health.readValuesToList()).extracting(ExecutorHealth::getState,
                        ExecutorHealth::getLastSeen, ExecutorHealth::getChangedAt, ExecutorHealth::getInFlight)
                .containsExactly(tuple(HealthState.UP, WALL_CLOCK.plusSeconds(61), WALL_CLOCK.plusSeconds(61), 0));
    }

    @Test
    void shouldRepublishEveryExecutorWithItsLatestResourcesEachPublishInterval() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.pipe(heartbeat("exec-2", WALL_CLOCK, 4));
        driver.pipe(heartbeat("exec-1", WALL_CLOCK.plusSeconds(5), 9));
        assertThat(driver.health.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("exec-1", "exec-2");

        driver.advanceWallClock(Duration.ofSeconds(30));

        assertThat(driver.health.readKeyValuesToList())
                .extracting(kv -> kv.key, kv -> kv.value.getState(), kv -> kv.value.getInFlight())
                .containsExactlyInAnyOrder(tuple("exec-1", HealthState.UP, 9), tuple("exec-2", HealthState.UP, 4));
    }

    @Test
    void shouldIgnoreAHeartbeatOlderThanTheLatest() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.pipe(heartbeat("exec-1", WALL_CLOCK.minusSeconds(120), 8));
        driver.advanceWallClock(Duration.ofSeconds(30));

        assertThat(driver.health.readValuesToList()).extracting(ExecutorHealth::getState, ExecutorHealth::getInFlight)
                .containsOnly(tuple(HealthState.UP, 3));
    }

    @Test
    void shouldForgetAnExecutorDownForLongerThanForgetAfterWithATombstone() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.advanceWallClock(Duration.ofSeconds(61));
        driver.health.readKeyValuesToList();

        driver.advanceWallClock(Duration.ofDays(1));

        // The Avro deserializer rejects a null value, so the tombstone is read as raw bytes.
        List<KeyValue<String, byte[]>> records = driver.driver.createOutputTopic(Topics.HEALTH.name(),
                new StringDeserializer(), new ByteArrayDeserializer()).readKeyValuesToList();
        assertThat(records).containsExactly(KeyValue.pair("exec-1", null));
        assertThat(driver.driver.getKeyValueStore(AnalyticsTopology.HEALTH_STORE).get("exec-1")).isNull();
    }

    @Test
    void shouldMarkAnExecutorThatSaysItLeavesLeftAndNeverDown() {
        driver.pipe(heartbeat("exec-1", WALL_CLOCK, 3));
        driver.health.readKeyValuesToList();

        driver.pipe(left("exec-1", WALL_CLOCK.plusSeconds(5)));
        driver.advanceWallClock(Duration.ofSeconds(120));

        assertThat(driver.health.readValuesToList()).extracting(ExecutorHealth::getState)
                .startsWith(HealthState.LEFT).containsOnly(HealthState.LEFT);
    }

    @Test
    void shouldForgetAnExecutorThatLeftWithATombstone() {
        driver.pipe(left("exec-1", WALL_CLOCK));
        driver.health.readKeyValuesToList();

        driver.advanceWallClock(Duration.ofDays(1).plusMinutes(1));

        List<KeyValue<String, byte[]>> records = driver.driver.createOutputTopic(Topics.HEALTH.name(),
                new StringDeserializer(), new ByteArrayDeserializer()).readKeyValuesToList();
        assertThat(records).contains(KeyValue.pair("exec-1", null));
        assertThat(driver.driver.getKeyValueStore(AnalyticsTopology.HEALTH_STORE).get("exec-1")).isNull();
    }

    @Test
    void shouldMarkAnExecutorUpAgainWhenOneWithItsIdRunsAfterItLeft() {
        driver.pipe(left("exec-1", WALL_CLOCK));
        driver.pipe(heartbeat("exec-1", WALL_CLOCK.plusSeconds(10), 0));

        assertThat(driver.health.readValuesToList()).extracting(ExecutorHealth::getState)
                .containsExactly(HealthState.LEFT, HealthState.UP);
    }

    private static ExecutorHeartbeat left(String executorId, Instant sentAt) {
        return ExecutorHeartbeat.newBuilder(heartbeat(executorId, sentAt, 0)).setState(ExecutorState.LEFT).build();
    }
}
