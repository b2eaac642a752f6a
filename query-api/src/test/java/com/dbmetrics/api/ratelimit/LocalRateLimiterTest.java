package com.dbmetrics.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final LocalRateLimiter limiter = new LocalRateLimiter(clock, Duration.ofMinutes(1), clock::nanos);
    private final List<Limit> alice = List.of(new Limit(Scope.USER, "alice", 3));

    @Test
    void shouldAdmitUpToTheLimitThenRefuseWithRetryAfter() {
        assertThat(limiter.decide(alice).remaining()).isEqualTo(2);
        assertThat(limiter.decide(alice).remaining()).isEqualTo(1);
        assertThat(limiter.decide(alice).remaining()).isEqualTo(0);

        Decision refused = limiter.decide(alice);

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.scope()).isEqualTo(Scope.USER);
        assertThat(refused.retryAfterSeconds()).isPositive();
    }

    @Test
    void shouldSlideThePreviousWindowOutGradually() {
        for (int i = 0; i < 3; i++) {
            limiter.decide(alice);
        }
        clock.advance(Duration.ofSeconds(61)); // next window, previous (3) weighs 59/60: still full
        assertThat(limiter.decide(alice).allowed()).isFalse();

        clock.advance(Duration.ofSeconds(30)); // previous weighs ~29/60 -> estimate 1.45 + 0: two more fit
        assertThat(limiter.decide(alice).allowed()).isTrue();
        assertThat(limiter.decide(alice).allowed()).isFalse();

        clock.advance(Duration.ofSeconds(60)); // previous window now holds 1, weighing little
        assertThat(limiter.decide(alice).allowed()).isTrue();
    }

    @Test
    void shouldRetryAfterPointToWhenASlotFrees() {
        for (int i = 0; i < 3; i++) {
            limiter.decide(alice);
        }
        Decision refused = limiter.decide(alice);
        clock.advance(Duration.ofSeconds(refused.retryAfterSeconds() - 1));
        assertThat(limiter.decide(alice).allowed()).as("one second before retry_after").isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.decide(alice).allowed()).as("at retry_after").isTrue();
    }

    @Test
    void shouldCountEveryScopeOnlyWhenAllAdmit() {
        List<Limit> both = List.of(new Limit(Scope.USER, "bob", 10), new Limit(Scope.GLOBAL, "all", 2));
        assertThat(limiter.decide(both).allowed()).isTrue();
        assertThat(limiter.decide(both).allowed()).isTrue();

        Decision refused = limiter.decide(both);

        assertThat(refused.scope()).isEqualTo(Scope.GLOBAL);
        // bob's own count did not grow with the refused request: 8 of 10 left
        assertThat(limiter.decide(List.of(new Limit(Scope.USER, "bob", 10))).remaining()).isEqualTo(7);
    }
}
