package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ExecutorConfigTest {

    @Test
    void shouldHaveDocumentedDefaults() {
        ExecutorConfig config = ExecutorConfig.defaults("e1");

        assertThat(config.executorId()).isEqualTo("e1");
        assertThat(config.groupId()).isEqualTo("toolformer-executor");
        assertThat(config.maxInFlight()).isEqualTo(10_000);
        assertThat(config.maxAttempts()).isEqualTo(3);
        assertThat(config.maxTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.maxArgumentsBytes()).isEqualTo(1 << 20);
        assertThat(config.processingOrder()).isEqualTo(ProcessingOrder.UNORDERED);
        assertThat(config.partitionQueueLimit()).isEqualTo(10_000);
        assertThat(config.revocationDrain()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.providerRates()).isEmpty();
    }

    @Test
    void shouldKeepPartitionLimitFollowingMaxInFlightUnlessSet() {
        assertThat(ExecutorConfig.defaults("e1").withMaxInFlight(50).partitionQueueLimit()).isEqualTo(50);
        assertThat(ExecutorConfig.builder("e1").partitionQueueLimit(7).build().withMaxInFlight(50)
                .partitionQueueLimit()).isEqualTo(7);
    }

    @Test
    void shouldAcceptShortConstructor() {
        ExecutorConfig config = new ExecutorConfig("e1", "g", 100, 1, Duration.ofMinutes(1), Duration.ofMillis(10),
                Duration.ofSeconds(1));

        assertThat(config.groupId()).isEqualTo("g");
        assertThat(config.maxInFlight()).isEqualTo(100);
        assertThat(config.maxArgumentsBytes()).isEqualTo(ExecutorConfig.DEFAULT_MAX_ARGUMENTS_BYTES);
    }

    @Test
    void shouldNameKeyAndValueOfInvalidSetting() {
        assertThatThrownBy(() -> ExecutorConfig.defaults("e1").withMaxInFlight(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("executor.max-in-flight must be >= 1, was 0");
        assertThatThrownBy(() -> ExecutorConfig.builder("e1").providerRates(Map.of("openai", -1.0)).build())
                .hasMessage("executor.rate-limits.openai must be a positive number of requests per second, was -1.0");
        assertThatThrownBy(() -> ExecutorConfig.builder(" ").build()).hasMessage("executor.id must not be blank");
        assertThatThrownBy(() -> ExecutorConfig.builder("e1").retryBackoff(Duration.ZERO).build())
                .hasMessage("executor.retry-backoff must be > 0, was PT0S");
        assertThatThrownBy(() -> ExecutorConfig.builder("e1").throttleFactor(1.5).build())
                .hasMessage("executor.throttle-factor must be in (0, 1], was 1.5");
    }
}
