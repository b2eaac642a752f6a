package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.TestServices;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The API on the Redis Cluster of {@code ./dbm test} (three primaries, three replicas; REDIS_CLUSTER_NODES): snapshot
 * keys of databases on different slots are read through the cluster's routing, and the rate-limit counters of many
 * users are spread over the primaries while the limits still hold.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisClusterIT {

    private static final int DATABASES = 12;
    private static final int USERS = 40;

    @Test
    void shouldReadSnapshotsAndShareLimitsThroughTheCluster() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Set<Integer> slots = new HashSet<>();
        try (UnifiedJedis seeding = TestServices.redisCluster(TestServices.REDIS_STREAMS)) {
            for (int i = 0; i < DATABASES; i++) {
                String id = "cluster-" + run + "-" + i;
                ApiFixture.seed(seeding, id, "shop", ApiFixture.now(), true);
                slots.add(JedisClusterCRC16.getSlot(RedisKeys.fresh(id)));
            }
        }
        assertThat(slots).as("the databases' keys are on different slots").hasSizeGreaterThan(1);
        String namespace = "cluster-user-" + run + "-";
        try (QueryApi api = ApiFixture.start(TestServices.redisClusterEnv(TestServices.REDIS_API),
                Map.of("METRICS_RATE_LIMIT_PER_USER", "5"), Clock.systemUTC())) {
            for (int i = 0; i < DATABASES; i++) {
                HttpResponse<String> r = ApiFixture.get(api, ApiFixture.metricsPath("shop", "cluster-" + run + "-" + i),
                        ApiFixture.token(namespace + i, "acme/shop"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Cache")).as("read from Redis").hasValue("L2");
            }
            for (int u = DATABASES; u < USERS; u++) {
                assertThat(ApiFixture.get(api, ApiFixture.metricsPath("shop", "cluster-" + run + "-0"),
                        ApiFixture.token(namespace + u, "acme/shop")).statusCode()).isEqualTo(200);
            }
            // one user past its limit of 5: leased through the cluster, refused as on one node
            String token = ApiFixture.token(namespace + "limited", "acme/shop");
            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 8; i++) {
                int status = ApiFixture.get(api, ApiFixture.metricsPath("shop", "cluster-" + run + "-1"), token)
                        .statusCode();
                ok += status == 200 ? 1 : 0;
                limited += status == 429 ? 1 : 0;
            }
            assertThat(ok).isEqualTo(5);
            assertThat(limited).isEqualTo(3);
            assertThat(ApiFixture.metric(api, "dbm_api_rate_limit_fail_open_total")).as("decided without Redis").isZero();
        }
        // the users' counters are on more than one primary
        try (UnifiedJedis admin = TestServices.redisCluster(TestServices.REDIS_ADMIN)) {
            int primariesWithCounters = 0;
            for (ConnectionPool pool : ((JedisCluster) admin).getClusterNodes().values()) {
                try (Connection c = pool.getResource(); Jedis node = new Jedis(c)) {
                    if (node.info("replication").contains("role:master")
                            && !node.keys(RedisKeys.RATE_LIMIT_PREFIX + "{user:" + namespace + "*").isEmpty()) {
                        primariesWithCounters++;
                    }
                }
            }
            assertThat(primariesWithCounters).as("primaries holding the %d users' rate-limit counters", USERS)
                    .isGreaterThan(1);
        }
    }
}
