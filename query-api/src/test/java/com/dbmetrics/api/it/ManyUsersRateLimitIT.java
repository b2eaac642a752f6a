package com.dbmetrics.api.it;

import com.dbmetrics.api.source.GuardedRedis;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.schemas.testing.TestServices;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;

/**
 * The per-user limit shared by several instances, with thousands of users reading at once: the lease calls of many
 * users go to the real Redis of {@code ./dbm test} together (batched), and each user is still admitted exactly its
 * limit (lease 1 below 100 per window) or, with larger leases, never more than its limit and early by at most
 * (instances − 1) × (lease − 1). The instances share one fixed clock: on the wall clock some users' windows would
 * change during the test, and a sliding window then rightly admits more as the previous window's weight fades (and
 * permits leased in the old window and left unspent still count, weighted), which would blur both bounds.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManyUsersRateLimitIT {

    private static final int INSTANCES = 3;
    private static final int THREADS_PER_INSTANCE = 8;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    /** Every instance's time: fixed, so no user's window changes while the test runs (see the class comment). */
    private final Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);

    /**
     * The limiters of the last run, kept reachable: their meters are function counters, which Micrometer holds only
     * weakly, so a limiter collected before the test reads its meters would read as 0 (seen once in ./dbm test).
     */
    private final List<RateLimits> instances = new ArrayList<>();

    /** Every user asks {@code asks} times, spread over the instances and threads; returns admissions per user. */
    private AtomicIntegerArray admittedPerUser(int users, int limit, int asks, List<PrometheusMeterRegistry> meters)
            throws Exception {
        return admittedPerUser(users, limit, asks, meters, false);
    }

    /** The same, the instances admitting each user's first request ahead of its lease when {@code ahead}. */
    private AtomicIntegerArray admittedPerUser(int users, int limit, int asks, List<PrometheusMeterRegistry> meters,
            boolean ahead) throws Exception {
        List<JedisPooled> pools = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            JedisPooled redis = TestServices.redis(TestServices.REDIS_API);
            pools.add(redis);
            RateLimiter limiter = limiter(redis, ahead);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            limiter.bindTo(registry);
            meters.add(registry);
            instances.add(new RateLimits(limiter, limit, 1000, 0));
        }
        AtomicIntegerArray admitted = new AtomicIntegerArray(users);
        ExecutorService threads = Executors.newFixedThreadPool(INSTANCES * THREADS_PER_INSTANCE);
        try {
            List<Future<?>> done = new ArrayList<>();
            int workers = INSTANCES * THREADS_PER_INSTANCE;
            for (int w = 0; w < workers; w++) {
                int worker = w;
                RateLimits instance = instances.get(w % INSTANCES);
                done.add(threads.submit(() -> {
                    // worker w makes asks number k of every user u with (u + k) % workers == w: each user's asks
                    // are spread over every instance and many threads, and all users are asked about at once
                    for (int k = 0; k < asks; k++) {
                        for (int u = Math.floorMod(worker - k, workers); u < users; u += workers) {
                            if (instance.admitRequest("many-" + run + "-" + u).allowed()) {
                                admitted.incrementAndGet(u);
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
            pools.forEach(JedisPooled::close);
        }
        return admitted;
    }

    /** Failing closed, or (admitting ahead) open: a limiter that must refuse without Redis never admits ahead. */
    private RateLimiter limiter(JedisPooled redis, boolean ahead) {
        return new RateLimiter(GuardedRedis.of(redis), clock, Duration.ofMinutes(1), ahead, ahead,
                com.github.benmanes.caffeine.cache.Ticker.systemTicker());
    }

    private static double meter(List<PrometheusMeterRegistry> meters, String name) {
        return meters.stream().mapToDouble(r -> r.find(name).functionCounter().count()).sum();
    }

    @Test
    void shouldAdmitEveryOneOfThousandsOfUsersExactlyItsLimitAcrossInstances() throws Exception {
        List<PrometheusMeterRegistry> meters = new ArrayList<>();
        int users = 3000;

        AtomicIntegerArray admitted = admittedPerUser(users, 10, 12, meters);

        for (int u = 0; u < users; u++) {
            assertThat(admitted.get(u)).as("user %d", u).isEqualTo(10);
        }
        double calls = meter(meters, "dbm_api_rate_limit_lease_calls");
        // one call per admission (lease 1) and at least one refused call per user; at most three per ask (a request
        // whose leased permit another thread of its instance spent first leases again, up to three times)
        assertThat(calls).isBetween(users * 11.0, users * 12 * 3.0);
        assertThat(meter(meters, "dbm_api_rate_limit_lease_round_trips")).isPositive().isLessThanOrEqualTo(calls);
    }

    @Test
    void shouldNeverAdmitMoreThanTheLimitWithLargerLeases() throws Exception {
        List<PrometheusMeterRegistry> meters = new ArrayList<>();
        int users = 500;

        // limit 200 -> leases of 4 permits: early refusals up to (3 - 1) x (4 - 1) = 6 per user, never more than 200
        AtomicIntegerArray admitted = admittedPerUser(users, 200, 230, meters);

        for (int u = 0; u < users; u++) {
            assertThat(admitted.get(u)).as("user %d", u).isBetween(194, 200);
        }
        assertThat(meter(meters, "dbm_api_rate_limit_lease_calls"))
                .as("about one call per 4 admissions, not one per request").isLessThan(users * 230 / 2.0);
    }

    @Test
    void shouldAdmitEachUsersFirstRequestPerInstanceAheadAndOvershootByAtMostOnePerInstance() throws Exception {
        List<PrometheusMeterRegistry> meters = new ArrayList<>();
        int users = 500;

        // limit 200, leases of 4, every user's first request at each instance admitted while its lease is asked:
        // early by at most (3 - 1) x (4 - 1) = 6, over by at most one per instance (its request admitted ahead)
        AtomicIntegerArray admitted = admittedPerUser(users, 200, 230, meters, true);

        long over = 0;
        for (int u = 0; u < users; u++) {
            assertThat(admitted.get(u)).as("user %d", u).isBetween(194, 200 + INSTANCES);
            over += Math.max(0, admitted.get(u) - 200);
        }
        assertThat(meter(meters, "dbm_api_rate_limit_admitted_ahead")).as("each user's first at each instance")
                .isEqualTo(users * INSTANCES);
        // an admission beyond the limit is a request admitted ahead whose lease Redis refused, and is counted
        assertThat(meter(meters, "dbm_api_rate_limit_over_limit")).isGreaterThanOrEqualTo(over)
                .isLessThanOrEqualTo(users * INSTANCES);
        assertThat(meter(meters, "dbm_api_rate_limit_fail_open")).as("Redis answered every lease").isZero();
    }

    @Test
    void shouldCountTheRequestAdmittedAheadOfARefusedLeaseAndRefuseTheNextFromMemory() throws Exception {
        String user = "over-" + run;
        try (JedisPooled a = TestServices.redis(TestServices.REDIS_API);
                JedisPooled b = TestServices.redis(TestServices.REDIS_API)) {
            RateLimits first = new RateLimits(limiter(a, true), 100, 1000, 0);
            RateLimiter second = limiter(b, true);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            second.bindTo(registry);
            RateLimits other = new RateLimits(second, 100, 1000, 0);
            RateLimits waiting = new RateLimits(limiter(b, false), 100, 1000, 0);
            instances.addAll(List.of(first, other, waiting));

            int spent = 0;
            while (first.admitRequest(user).allowed()) {
                spent++;
            }
            assertThat(spent).as("one instance alone: exactly the limit").isEqualTo(100);

            assertThat(other.admitRequest(user).allowed()).as("first at another instance: admitted ahead").isTrue();
            assertThat(other.admitRequest(user).allowed()).as("its lease refused: refused from memory").isFalse();
            assertThat(registry.find("dbm_api_rate_limit_admitted_ahead").functionCounter().count()).isEqualTo(1);
            assertThat(registry.find("dbm_api_rate_limit_over_limit").functionCounter().count()).isEqualTo(1);
            assertThat(registry.find("dbm_api_rate_limit_local_refusals").functionCounter().count()).isEqualTo(1);
            assertThat(waiting.admitRequest(user).allowed()).as("a limiter waiting for its lease: refused").isFalse();
        }
    }
}
