package com.dbmetrics.poller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TickSchedulerTest {

    private static final Duration FIVE = Duration.ofSeconds(5);
    private static final Duration TWO = Duration.ofSeconds(2);

    @Test
    void shouldAlignEvaluationTimeToTheInterval() {
        assertThat(TickScheduler.nextEvaluationTime(Instant.parse("2026-11-25T10:30:03.100Z"), FIVE, TWO))
                .isEqualTo(Instant.parse("2026-11-25T10:30:05Z"));
    }

    @Test
    void shouldStillRunTheCurrentTickWhileItsSendTimeIsAhead() {
        // T = 10:30:00 is sent at 10:30:02; at 10:30:01.5 that send time is still ahead.
        assertThat(TickScheduler.nextEvaluationTime(Instant.parse("2026-11-25T10:30:01.500Z"), FIVE, TWO))
                .isEqualTo(Instant.parse("2026-11-25T10:30:00Z"));
    }

    @Test
    void shouldMoveToNextTickOnceSendTimeHasPassed() {
        assertThat(TickScheduler.nextEvaluationTime(Instant.parse("2026-11-25T10:30:02Z"), FIVE, TWO))
                .isEqualTo(Instant.parse("2026-11-25T10:30:05Z"));
    }
}
