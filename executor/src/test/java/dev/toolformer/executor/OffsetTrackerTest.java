package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    @Test
    void shouldCommitNothingBeforeAnyRecord() {
        OffsetTracker tracker = new OffsetTracker();

        assertThat(tracker.committable()).isEqualTo(-1);
        assertThat(tracker.next()).isEqualTo(-1);
        assertThat(tracker.uncommitted()).isZero();
    }

    @Test
    void shouldOfferAnOffsetAgainWhenItsCommitFailed() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(0);
        tracker.completed(0);
        tracker.committed(tracker.committable());
        assertThat(tracker.committable()).as("sent, not answered yet").isEqualTo(-1);

        tracker.commitFailed(1);

        assertThat(tracker.committable()).isEqualTo(1);
        tracker.committed(1);
        tracker.acknowledged(1);
        assertThat(tracker.committable()).isEqualTo(-1);
        assertThat(tracker.uncommitted()).isZero();
    }

    @Test
    void shouldNotOfferAgainAFailedCommitThatALaterOneCovers() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(0);
        tracker.completed(0);
        tracker.committed(tracker.committable());
        tracker.started(1);
        tracker.completed(1);
        tracker.committed(tracker.committable());

        tracker.commitFailed(1);

        assertThat(tracker.committable()).isEqualTo(-1);
    }

    @Test
    void shouldCommitOnlyUpToLowestUnfinishedOffset() {
        OffsetTracker tracker = new OffsetTracker();
        for (long offset = 10; offset < 15; offset++) {
            tracker.started(offset);
        }
        tracker.completed(10);
        tracker.completed(12);
        tracker.completed(13);

        assertThat(tracker.committable()).isEqualTo(11);
        assertThat(tracker.running()).isEqualTo(2);
    }

    @Test
    void shouldCommitPastHighestOffsetWhenEverythingFinished() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(0);
        tracker.started(1);
        tracker.completed(1);
        tracker.completed(0);

        assertThat(tracker.committable()).isEqualTo(2);
    }

    @Test
    void shouldNotOfferSameOffsetTwice() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(5);
        tracker.completed(5);
        tracker.committed(tracker.committable());

        assertThat(tracker.committable()).isEqualTo(-1);
        assertThat(tracker.next()).isEqualTo(6);
    }

    @Test
    void shouldCountRecordsNotCoveredByConfirmedCommit() {
        OffsetTracker tracker = new OffsetTracker();
        for (long offset = 100; offset < 110; offset++) {
            tracker.started(offset);
        }
        for (long offset = 100; offset < 104; offset++) {
            tracker.completed(offset);
        }
        assertThat(tracker.uncommitted()).isEqualTo(10);

        tracker.committed(104);
        assertThat(tracker.uncommitted()).isEqualTo(10);

        tracker.acknowledged(104);
        assertThat(tracker.uncommitted()).isEqualTo(6);
    }
}
