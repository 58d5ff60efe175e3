package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ExecutionTest {

    @Test
    void shouldCancelOnlyARunningRequestAndInterruptItsThread() throws InterruptedException {
        Execution execution = new Execution("r-1", null);
        Thread runner = sleeper();
        execution.runOn(runner);

        assertThat(execution.cancel("agent took another path")).isTrue();
        runner.join(Duration.ofSeconds(10));
        assertThat(runner.isAlive()).as("the interrupted call stops").isFalse();
        assertThat(execution.state()).isEqualTo(Execution.State.CANCELLED);
        assertThat(execution.isStopped()).isTrue();
        assertThat(execution.cancelReason()).isEqualTo("agent took another path");
        assertThat(execution.cancel("again")).as("a second cancel").isFalse();
        // A cancelled request still finishes (CANCELLED is its result).
        assertThat(execution.finish()).isTrue();
        assertThat(execution.state()).isEqualTo(Execution.State.FINISHED);
    }

    @Test
    void shouldNeverPublishAnAbandonedRequestNorAbandonAFinishedOne() {
        Execution abandoned = new Execution("r-2", null);
        assertThat(abandoned.abandon()).isTrue();
        assertThat(abandoned.finish()).as("an abandoned request must not publish").isFalse();
        assertThat(abandoned.state()).isEqualTo(Execution.State.ABANDONED);

        Execution finished = new Execution("r-3", null);
        assertThat(finished.finish()).isTrue();
        assertThat(finished.abandon()).as("its result is on its way").isFalse();
        assertThat(finished.cancel("late")).isFalse();
        assertThat(finished.isStopped()).isFalse();
    }

    @Test
    void shouldInterruptAThreadBoundAfterTheRequestWasStopped() throws InterruptedException {
        Execution execution = new Execution("r-4", null);
        execution.abandon();
        Thread runner = sleeper();
        execution.runOn(runner);
        runner.join(Duration.ofSeconds(10));
        assertThat(runner.isAlive()).isFalse();
    }

    /** A thread that sleeps for a minute unless interrupted. */
    private static Thread sleeper() {
        return Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // what the test waits for
            }
        });
    }
}
