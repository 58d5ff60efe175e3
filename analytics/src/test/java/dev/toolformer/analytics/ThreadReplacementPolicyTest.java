package dev.toolformer.analytics;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class ThreadReplacementPolicyTest {
    private final AtomicLong nanos = new AtomicLong();
    private final ThreadReplacementPolicy policy =
            new ThreadReplacementPolicy(2, Duration.ofMinutes(10), nanos::get);

    @Test
    void shouldReplaceThreadThatDiedOfAnException() {
        assertThat(policy.handle(new StreamsException("broker gone"))).isEqualTo(REPLACE_THREAD);
    }

    @Test
    void shouldShutDownClientWhenAnErrorIsInTheCauseChain() {
        assertThat(policy.handle(new StreamsException(new OutOfMemoryError("heap")))).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void shouldShutDownClientAtOnceWhenTheClusterRefusesIt() {
        var refused = new StreamsException(new TopicAuthorizationException(Set.of("toolformer.results")));

        assertThat(policy.handle(refused)).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void shouldShutDownClientWhenThreadsKeepDyingWithinThePeriod() {
        policy.handle(new StreamsException("1"));
        nanos.addAndGet(Duration.ofMinutes(9).toNanos());
        policy.handle(new StreamsException("2"));

        assertThat(policy.handle(new StreamsException("3"))).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void shouldReplaceAgainOnceEarlierReplacementsLeftThePeriod() {
        policy.handle(new StreamsException("1"));
        policy.handle(new StreamsException("2"));
        nanos.addAndGet(Duration.ofMinutes(10).plusNanos(1).toNanos());

        assertThat(policy.handle(new StreamsException("3"))).isEqualTo(REPLACE_THREAD);
    }
}
