package com.dbmetrics.api.ratelimit;

import com.dbmetrics.api.source.GuardedRedis;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Each subject's windows start at its own phase, the same in every instance (no Redis needed to compute them). */
class RateLimiterWindowsTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));

    private RateLimiter instance() {
        return new RateLimiter(GuardedRedis.of(null), clock, WINDOW, true, clock::nanos);
    }

    @Test
    void shouldGiveASubjectTheSamePhaseInEveryInstance() {
        Limit alice = new Limit(Scope.USER, "alice", 100);

        long phase = instance().phaseMs(alice);

        assertThat(instance().phaseMs(alice)).isEqualTo(phase);
        assertThat(phase).isBetween(0L, WINDOW.toMillis() - 1);
        // the phase depends on the scope too: a user and a database of the same name have their own windows
        assertThat(instance().phaseMs(new Limit(Scope.DATABASE, "alice", 100))).isNotEqualTo(phase);
    }

    @Test
    void shouldStartTheNextWindowExactlyOneWindowLaterAtTheSubjectsPhase() {
        RateLimiter limiter = instance();
        Limit alice = new Limit(Scope.USER, "alice", 100);
        long now = clock.millis();
        long index = limiter.windowIndex(alice, now);
        long start = index * WINDOW.toMillis() - limiter.phaseMs(alice); // this window's first millisecond

        assertThat(limiter.windowIndex(alice, start)).isEqualTo(index);
        assertThat(limiter.windowIndex(alice, start - 1)).isEqualTo(index - 1);
        assertThat(limiter.windowIndex(alice, start + WINDOW.toMillis() - 1)).isEqualTo(index);
        assertThat(limiter.windowIndex(alice, start + WINDOW.toMillis())).isEqualTo(index + 1);
    }

    @Test
    void shouldSpreadTheWindowEndsOfManyUsersOverTheWindow() {
        RateLimiter limiter = instance();
        int users = 10_000;
        int[] endsPerSecond = new int[60];
        for (int u = 0; u < users; u++) {
            long phase = limiter.phaseMs(new Limit(Scope.USER, "user-" + u, 100));
            endsPerSecond[(int) (phase / 1000)]++;
        }

        // aligned windows would put all 10,000 renewals into one second; spread, each second holds about 167
        for (int second = 0; second < 60; second++) {
            assertThat(endsPerSecond[second]).as("window ends in second %d", second).isBetween(80, 300);
        }
    }
}
