package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.TestServices;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;

/**
 * A Redis Sentinel failover under reads. The API finds its Redis through the three sentinels of {@code ./dbm test}
 * (REDIS_SENTINELS), which watch the test stack's Redis and its replica; {@code SENTINEL FAILOVER} moves the primary
 * to the replica while four threads read, each read from one of many users (so most need a rate-limit lease, a
 * write). Every read is answered 200, and once the sentinels name the new primary the API's writes land there. The
 * test fails back at the end, so the stack's Redis is the primary again for the tests after it.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SentinelFailoverIT {

    private static final String MASTER = System.getenv("DBM_IT_REDIS_SENTINEL_MASTER");

    @Test
    void shouldAnswerEveryReadThroughAFailoverAndWriteToTheNewPrimaryAfter() throws Exception {
        HostAndPort original = primary();
        assertThat(original.getPort()).as("the sentinels' primary is the test stack's Redis before the test")
                .isEqualTo(TestServices.redisEndpoint(TestServices.REDIS_ADMIN).port());
        try (JedisPooled seeding = ApiFixture.seedingRedis()) {
            ApiFixture.seed(seeding, "sentinel-db", "shop", ApiFixture.now(), true);
        }
        ConcurrentMap<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        ExecutorService readers = Executors.newFixedThreadPool(4);
        // a short L1 TTL: reads go to Redis (the L2) all through the failover, not only the leases
        try (QueryApi api = ApiFixture.start(TestServices.redisSentinelEnv(TestServices.REDIS_API),
                Map.of("METRICS_CACHE_MEMORY_TTL", "1s"), Clock.systemUTC())) {
            String path = ApiFixture.metricsPath("shop", "sentinel-db");
            for (int t = 0; t < 4; t++) {
                int thread = t;
                readers.submit(() -> {
                    int i = 0;
                    while (reading.get()) {
                        try {
                            String token = ApiFixture.token("sentinel-" + thread + "-" + (i++ % 200), "acme/shop");
                            int status = ApiFixture.get(api, path, token).statusCode();
                            statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }
                });
            }
            try {
                Thread.sleep(1_000);
                try (Jedis sentinel = TestServices.sentinel(0)) {
                    assertThat(sentinel.sentinelFailover(MASTER)).isEqualTo("OK");
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> !primary().equals(original));
                HostAndPort promoted = primary();
                // a user's first read leases permits: its counter appears on the new primary (the old one, now a
                // replica, refuses writes), so the API follows the sentinels' switch
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    String user = "after-failover-" + UUID.randomUUID();
                    ApiFixture.get(api, path, ApiFixture.token(user, "acme/shop"));
                    try (Jedis admin = admin(promoted)) {
                        return !admin.keys(RedisKeys.RATE_LIMIT_PREFIX + "{user:" + user + "}:*").isEmpty();
                    }
                });
                Thread.sleep(1_000); // reads on the new primary too
            } finally {
                reading.set(false);
                readers.shutdown();
                assertThat(readers.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            failBack(original);
        }
        assertThat(failures).as("reads that got no answer").isEmpty();
        assertThat(statuses.keySet()).as("statuses of every read: %s", statuses).isEqualTo(Set.of(200));
        assertThat(statuses.get(200).get()).isGreaterThan(20);
    }

    private static HostAndPort primary() {
        try (Jedis sentinel = TestServices.sentinel(0)) {
            List<String> address = sentinel.sentinelGetMasterAddrByName(MASTER);
            return new HostAndPort(address.get(0), Integer.parseInt(address.get(1)));
        }
    }

    private static Jedis admin(HostAndPort node) {
        return new Jedis(node, TestServices.redisEndpoint(TestServices.REDIS_ADMIN).clientConfig(2_000, "dbm-it-admin"));
    }

    /** Makes {@code original} the primary again (a failover refused while the last one settles is asked again). */
    private static void failBack(HostAndPort original) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
            if (!primary().equals(original)) {
                try (Jedis sentinel = TestServices.sentinel(0)) {
                    sentinel.sentinelFailover(MASTER);
                }
                return false;
            }
            try (Jedis admin = admin(original)) {
                admin.set("dbm:sentinel-it:writable", "1"); // fails with READONLY until it is the primary again
                return admin.del("dbm:sentinel-it:writable") == 1;
            }
        });
    }
}
