package com.dbmetrics.poller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
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

    @Test
    void shouldFailLivenessWhenNoTickHasEndedForThreeIntervals() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:30:03Z"));
        CountDownLatch stuck = new CountDownLatch(1);
        try (TickScheduler scheduler = new TickScheduler(clock, FIVE, TWO, t -> {
            try {
                stuck.await(); // a tick that never ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, new TickMetrics())) {
            assertThat(scheduler.ticking(3)).as("before start").isTrue();
            scheduler.start();
            assertThat(scheduler.ticking(3)).isTrue();

            clock.advance(FIVE.multipliedBy(3).plus(TWO));
            assertThat(scheduler.ticking(3)).isTrue();
            clock.advance(Duration.ofMillis(1));
            assertThat(scheduler.ticking(3)).isFalse();
        }
    }
}
