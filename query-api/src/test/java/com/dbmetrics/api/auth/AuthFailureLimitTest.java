package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.auth.AuthFailureLimit.Reason;
import com.dbmetrics.schemas.time.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The bounds on failed token checks, per client per minute and overall per second, on fake time. */
class AuthFailureLimitTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final AuthFailureLimit limit = new AuthFailureLimit(clock, clock::nanos, 3, 100);

    @Test
    void shouldRefuseAClientPastItsFailuresPerMinuteUntilTheMinuteEnds() {
        for (int i = 0; i < 3; i++) {
            assertThat(limit.retryAfterSeconds("10.0.0.1")).isZero();
            limit.failed("10.0.0.1", Reason.INVALID);
        }
        clock.advance(Duration.ofSeconds(20));

        assertThat(limit.retryAfterSeconds("10.0.0.1")).isEqualTo(40);
        assertThat(limit.retryAfterSeconds("10.0.0.2")).as("another client").isZero();
        assertThat(limit.throttled()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(40));
        assertThat(limit.retryAfterSeconds("10.0.0.1")).as("a new minute").isZero();
    }

    @Test
    void shouldNotCountMissingTokensTowardTheBounds() {
        for (int i = 0; i < 10; i++) {
            limit.failed("10.0.0.1", Reason.MISSING);
        }

        assertThat(limit.retryAfterSeconds("10.0.0.1")).isZero();
        assertThat(limit.failures(Reason.MISSING)).isEqualTo(10);
    }

    @Test
    void shouldRefuseEveryClientPastTheGlobalFailuresPerSecond() {
        AuthFailureLimit global = new AuthFailureLimit(clock, clock::nanos, 1000, 5);
        for (int i = 0; i < 5; i++) {
            global.failed("10.0.1." + i, Reason.INVALID);
        }

        assertThat(global.retryAfterSeconds("10.9.9.9")).isEqualTo(1);
        assertThat(global.retryAfterSeconds(null)).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(global.retryAfterSeconds("10.9.9.9")).isZero();
    }

    @Test
    void shouldKeepBoundedMemoryWhateverTheNumberOfAddresses() {
        AuthFailureLimit many = new AuthFailureLimit(clock, clock::nanos, 30, Integer.MAX_VALUE);
        for (int i = 0; i < AuthFailureLimit.MAX_CLIENTS + 5_000; i++) {
            many.failed("addr-" + i, Reason.MALFORMED);
        }

        assertThat(many.trackedClients()).isLessThanOrEqualTo(AuthFailureLimit.MAX_CLIENTS);
        clock.advance(Duration.ofMinutes(3));
        assertThat(many.trackedClients()).as("forgotten once their windows are over").isZero();
    }

    @Test
    void shouldCountFailuresByReasonAndThrottledChecks() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        limit.bindTo(registry);
        limit.failed("c", Reason.INVALID);
        limit.failed("c", Reason.LIFETIME);
        limit.failed("c", Reason.MALFORMED);
        limit.retryAfterSeconds("c");

        assertThat(registry.get("dbm_api_auth_failures").tag("reason", "invalid").functionCounter().count())
                .isEqualTo(1);
        assertThat(registry.get("dbm_api_auth_failures").tag("reason", "lifetime").functionCounter().count())
                .isEqualTo(1);
        assertThat(registry.get("dbm_api_auth_throttled").functionCounter().count()).isEqualTo(1);
    }
}
