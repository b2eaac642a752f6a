package com.dbmetrics.streams.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/** The Redis mirror against the real Redis that {@code ./dbm test} starts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisMirrorIT {

    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");

    private JedisPooled redis;
    private RedisMirror mirror;
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
    private final String id = "mirror-it-" + UUID.randomUUID();

    @BeforeEach
    void setUp() {
        redis = TestServices.redis(TestServices.REDIS_STREAMS); // the mirror writes as the streams-app's ACL user
        mirror = new RedisMirror(redis, Json.newMapper(), Duration.ofSeconds(15), Duration.ofMillis(10), 1000,
                Clock.systemUTC()).start();
    }

    @AfterEach
    void tearDown() {
        mirror.close();
        redis.close();
    }

    private MetricsSnapshot snapshot(Instant t, double connections, int interval) {
        return MetricsSnapshot.of(new DatabaseRef(id, "db", "redis", "acme", "shop"), t, interval,
                Map.of(Metric.CONNECTIONS, connections));
    }

    private MetricsSnapshot read(String key) throws Exception {
        byte[] bytes = redis.get(key.getBytes(StandardCharsets.UTF_8));
        return bytes == null ? null : serde.parse(bytes);
    }

    @Test
    void shouldWriteFreshAndStaleKeysWithTheirTtls() {
        mirror.snapshot(snapshot(T0, 1, 30));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(read(RedisKeys.fresh(id))).isEqualTo(snapshot(T0, 1, 30));
            assertThat(read(RedisKeys.stale(id))).isEqualTo(snapshot(T0, 1, 30));
        });
        // fresh TTL = max(15 s, interval 30 s + 5 s) = 35 s; stale 300 s
        assertThat(redis.pttl(RedisKeys.fresh(id))).isBetween(30_000L, 35_000L);
        assertThat(redis.pttl(RedisKeys.stale(id))).isBetween(295_000L, 300_000L);
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.lagSeconds() == 0); // written: nothing waits
    }

    /**
     * The mirror on the Redis Cluster of ./dbm test: each database's script call goes to its slot's primary (its keys
     * share the {id} hash tag), pipelined across the primaries, and the event-time guard holds there too.
     */
    @Test
    void shouldMirrorDatabasesOnDifferentSlotsOfACluster() throws Exception {
        try (UnifiedJedis cluster = TestServices.redisCluster(TestServices.REDIS_STREAMS);
                RedisMirror clustered = new RedisMirror(cluster, Json.newMapper(), Duration.ofSeconds(15),
                        Duration.ofMillis(10), 1000, Clock.systemUTC()).start()) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String db = id + "-" + i;
                ids.add(db);
                clustered.snapshot(MetricsSnapshot.of(new DatabaseRef(db, "db", "redis", "acme", "shop"),
                        T0.plusSeconds(10), 5, Map.of(Metric.CONNECTIONS, (double) i)));
            }
            assertThat(ids.stream().map(db -> JedisClusterCRC16.getSlot(RedisKeys.fresh(db))).distinct().count())
                    .isGreaterThan(1);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (int i = 0; i < ids.size(); i++) {
                    byte[] fresh = cluster.get(RedisKeys.fresh(ids.get(i)).getBytes(StandardCharsets.UTF_8));
                    assertThat(fresh).as(ids.get(i)).isNotNull();
                    assertThat(serde.parse(fresh).value(Metric.CONNECTIONS)).isEqualTo((double) i);
                }
            });
            clustered.snapshot(MetricsSnapshot.of(new DatabaseRef(ids.get(0), "db", "redis", "acme", "shop"), T0, 5,
                    Map.of(Metric.CONNECTIONS, 99d)));
            await().atMost(Duration.ofSeconds(30)).until(() -> clustered.skippedOlder() == 1);
            assertThat(serde.parse(cluster.get(RedisKeys.stale(ids.get(0)).getBytes(StandardCharsets.UTF_8)))
                    .value(Metric.CONNECTIONS)).isEqualTo(0.0);
        }
    }

    @Test
    void shouldNeverReplaceNewerWithOlderEvenAcrossWriters() throws Exception {
        mirror.snapshot(snapshot(T0.plusSeconds(10), 5, 5));
        await().atMost(Duration.ofSeconds(30)).until(() -> read(RedisKeys.fresh(id)) != null);

        // a second writer (another instance, or a replay) with an older snapshot
        try (RedisMirror replay = new RedisMirror(redis, Json.newMapper(), Duration.ofSeconds(15),
                Duration.ofMillis(10), 1000, Clock.systemUTC()).start()) {
            replay.snapshot(snapshot(T0, 1, 5));
            await().atMost(Duration.ofSeconds(30)).until(() -> replay.skippedOlder() == 1);
        }

        assertThat(read(RedisKeys.fresh(id)).value(Metric.CONNECTIONS)).isEqualTo(5.0);
        assertThat(read(RedisKeys.stale(id)).value(Metric.CONNECTIONS)).isEqualTo(5.0);
    }

    @Test
    void shouldDeleteBothKeysOnTombstoneAndNotResurrectOnReplay() throws Exception {
        mirror.snapshot(snapshot(T0, 1, 5));
        await().atMost(Duration.ofSeconds(30)).until(() -> read(RedisKeys.fresh(id)) != null);

        mirror.tombstone(id, T0.plusSeconds(5).toEpochMilli());
        await().atMost(Duration.ofSeconds(30)).until(() -> !redis.exists(RedisKeys.fresh(id)));
        assertThat(redis.exists(RedisKeys.stale(id))).isFalse();

        mirror.snapshot(snapshot(T0, 1, 5)); // replayed, older than the tombstone
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.skippedOlder() == 1);
        assertThat(redis.exists(RedisKeys.fresh(id))).isFalse();
    }

    @Test
    void shouldConvergeToTheStoreAfterRedisRestartsAndTheBacklogOverflowed() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        java.io.File dir = java.nio.file.Files.createTempDirectory("mirror-it-redis").toFile();
        ProcessBuilder redisServer = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.getPath())
                .redirectErrorStream(true).redirectOutput(new java.io.File(dir, "redis.log"));
        Process server = redisServer.start();
        try (JedisPooled own = new JedisPooled(new HostAndPort("127.0.0.1", port));
                RedisMirror small = new RedisMirror(own, Json.newMapper(), Duration.ofSeconds(15), Duration.ofMillis(10),
                        4, Clock.systemUTC()).start()) {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "PONG".equals(own.ping()));
            java.util.List<MetricsSnapshot> store = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                MetricsSnapshot s = snapshotOf(id + "-" + i, T0, i);
                store.add(s);
                small.snapshot(s);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> small.backlog() == 0 && own.exists(RedisKeys.fresh(id + "-2")));

            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // Redis gone, and with it everything it held
            for (int i = 3; i < 20; i++) {
                MetricsSnapshot s = snapshotOf(id + "-" + i, T0, i);
                store.add(s);
                small.snapshot(s); // the backlog holds 4 (8 while a failed flush is being requeued): the rest overflow
            }
            await().atMost(Duration.ofSeconds(30)).until(small::resyncNeeded);
            assertThat(small.resync(store)).as("Redis still down").isFalse();

            server = redisServer.start();
            Process restarted = server;
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "PONG".equals(own.ping()));
            await().atMost(Duration.ofSeconds(20)).until(() -> small.resync(store));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (MetricsSnapshot s : store) {
                    byte[] fresh = own.get(RedisKeys.fresh(s.databaseId()).getBytes(StandardCharsets.UTF_8));
                    assertThat(fresh).as(s.databaseId()).isNotNull();
                    assertThat(serde.parse(fresh)).isEqualTo(s);
                }
            });
            assertThat(small.resyncNeeded()).isFalse();
            restarted.destroyForcibly();
        } finally {
            server.destroyForcibly();
        }
    }

    private static MetricsSnapshot snapshotOf(String databaseId, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(databaseId, "db", "redis", "acme", "shop"), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }
}
