package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RestoreProgressTest {

    private static final TopicPartition P0 = new TopicPartition("app-latest-changelog", 0);
    private static final TopicPartition P1 = new TopicPartition("app-latest-changelog", 1);
    private static final String STORE = "latest";

    private final RestoreProgress progress = new RestoreProgress();

    @Test
    void shouldReportNothingWhenNothingRestores() {
        assertThat(progress.remainingRecords()).isZero();
        assertThat(progress.restoringPartitions()).isZero();
        assertThat(progress.restoredRecords()).isZero();
    }

    @Test
    void shouldCountDownRemainingRecordsAsBatchesAreRestored() {
        // end offsets are exclusive; a batch's end offset is that of its last restored record
        progress.onRestoreStart(P0, STORE, 100, 1_100);
        progress.onRestoreStart(P1, STORE, 0, 50);
        assertThat(progress.remainingRecords()).isEqualTo(1_000 + 50);
        assertThat(progress.restoringPartitions()).isEqualTo(2);

        progress.onBatchRestored(P0, STORE, 599, 500);
        assertThat(progress.remainingRecords()).isEqualTo(500 + 50);
        assertThat(progress.restoredRecords()).isEqualTo(500);

        progress.onBatchRestored(P1, STORE, 49, 50);
        progress.onRestoreEnd(P1, STORE, 50);
        assertThat(progress.remainingRecords()).isEqualTo(500);
        assertThat(progress.restoringPartitions()).isEqualTo(1);
        assertThat(progress.restoredRecords()).isEqualTo(550);
    }

    @Test
    void shouldNeverReportNegativeRemainingWhenTransactionMarkersEndTheChangelog() {
        progress.onRestoreStart(P0, STORE, 0, 10);
        progress.onBatchRestored(P0, STORE, 10, 10); // the batch's last record sits after a commit marker

        assertThat(progress.remainingRecords()).isZero();
        assertThat(progress.restoringPartitions()).isEqualTo(1);
    }

    @Test
    void shouldForgetAPartitionWhenItsRestorationIsSuspended() {
        progress.onRestoreStart(P0, STORE, 0, 1_000);
        progress.onRestoreStart(P0, "project-index", 0, 1_000);
        progress.onBatchRestored(P0, STORE, 99, 100);

        progress.onRestoreSuspended(P0, STORE, 100); // the task moved to another instance

        assertThat(progress.restoringPartitions()).isEqualTo(1);
        assertThat(progress.remainingRecords()).isEqualTo(1_000);
        assertThat(progress.restoredRecords()).isEqualTo(100);
    }

    @Test
    void shouldIgnoreBatchesOfAPartitionItDoesNotTrack() {
        progress.onBatchRestored(P0, STORE, 99, 100);

        assertThat(progress.restoringPartitions()).isZero();
        assertThat(progress.restoredRecords()).isEqualTo(100);
    }

    @Test
    void shouldForgetUnfinishedRestorationsOnceTheClientRuns() {
        progress.onRestoreStart(P0, STORE, 0, 1_000); // its end never reported (a task closed dirty)

        progress.running();

        assertThat(progress.restoringPartitions()).isZero();
        assertThat(progress.remainingRecords()).isZero();
    }
}
