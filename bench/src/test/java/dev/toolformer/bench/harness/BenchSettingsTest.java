package dev.toolformer.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class BenchSettingsTest {

    @Test
    void shouldRunEveryScenarioInOrderForAll() {
        assertThat(Scenario.named("all")).containsExactly(Scenario.RELAY, Scenario.PIPELINE, Scenario.LATENCY,
                Scenario.CONCURRENCY, Scenario.SCALE);
        assertThat(Scenario.named("Latency")).containsExactly(Scenario.LATENCY);
    }

    @Test
    void shouldRejectUnknownScenarioNamingTheChoices() {
        assertThatThrownBy(() -> Scenario.named("throughput"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown scenario 'throughput' (expected relay, pipeline, latency, concurrency, scale or all)");
    }

    @Test
    void shouldRejectNonPositiveRateNamingTheOption() {
        assertThatThrownBy(() -> settings(0, List.of(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--rate must be a positive number of requests/s, was 0.0");
    }

    @Test
    void shouldRejectEmptyOrZeroInstanceCounts() {
        assertThatThrownBy(() -> settings(1000, List.of(1, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--instances must be distinct counts from 1 to 64, was [1, 0]");
    }

    @Test
    void shouldGiveExactNearestRankPercentiles() {
        Latencies latencies = new Latencies();
        for (int ms = 100; ms >= 1; ms--) {
            latencies.add(ms * 1_000_000L);
        }

        assertThat(latencies.percentileMs(50)).isEqualTo(50.0);
        assertThat(latencies.percentileMs(99)).isEqualTo(99.0);
        assertThat(latencies.percentileMs(100)).isEqualTo(100.0);
        assertThat(latencies.meanMs()).isEqualTo(50.5);
        assertThat(new Latencies().percentileMs(99)).isZero();
    }

    private static BenchSettings settings(double rate, List<Integer> instances) {
        return new BenchSettings(6, (short) 1, 100, 10, rate, Duration.ofSeconds(1), 10, Duration.ofSeconds(1),
                instances, 100, Duration.ofSeconds(1), Duration.ofSeconds(30), 3, "512m");
    }
}
