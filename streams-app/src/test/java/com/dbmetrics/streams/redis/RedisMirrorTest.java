package com.dbmetrics.streams.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.time.MutableClock;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * The mirror's lag with Redis unreachable (nothing listens on its port) and a fake clock. The flusher is not started:
 * each test flushes on its own thread when it means to. RedisMirrorIT has Redis and a running flusher.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RedisMirrorTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final MutableClock clock = new MutableClock();
    private JedisPooled unreachable;
    private RedisMirror mirror;

    @BeforeEach
    void setUp() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        unreachable = new JedisPooled(new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(200).socketTimeoutMillis(200).build());
        mirror = new RedisMirror(unreachable, Json.newMapper(), Duration.ofSeconds(15), Duration.ofMillis(10), 100,
                clock);
    }

    @AfterEach
    void tearDown() {
        mirror.close();
        unreachable.close();
    }

    private static MetricsSnapshot snapshot(String id, Instant t) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "redis", "acme", "shop"), t, 5,
                Map.of(Metric.CONNECTIONS, 1.0));
    }

    @Test
    void shouldReportNoLagWhenNothingWaits() {
        clock.advance(SECOND.multipliedBy(60));

        assertThat(mirror.lagSeconds()).isZero();
        assertThat(mirror.backlog()).isZero();
    }

    @Test
    void shouldMeasureLagFromTheOldestWaitingUpdateWhileRedisIsDown() {
        mirror.snapshot(snapshot("a", T0));
        clock.advance(SECOND.multipliedBy(2));
        mirror.snapshot(snapshot("b", T0)); // a younger update does not make the backlog younger
        mirror.snapshot(snapshot("a", T0.plusSeconds(5))); // nor does a newer snapshot replacing a waiting one
        clock.advance(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(3.0);
    }

    @Test
    void shouldKeepTheAgeOfUpdatesPutBackAfterAFailedFlush() {
        mirror.snapshot(snapshot("a", T0));
        clock.advance(SECOND.multipliedBy(4));

        // put back twice (and not in flight now, when the backlog holds it again)
        assertThat(mirror.flushOnce()).isFalse();
        assertThat(mirror.flushOnce()).isFalse();
        assertThat(mirror.failedFlushes() >= 2 && mirror.backlog() == 1).isTrue();
        clock.advance(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(5.0); // in flight or waiting again: the same age
    }

    @Test
    void shouldCountAWaitingPollerStatusAsLag() {
        mirror.pollerStatus(new PollerStatus("prometheus", PollerStatus.State.OPEN, T0, T0, "down", T0, "poller-1"));
        clock.advance(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(1.0);
        assertThat(mirror.backlog()).isZero(); // the backlog gauge counts databases only
    }

    @Test
    void shouldDropNewDatabasesAndAskForAResyncWhenTheBacklogIsFull() throws Exception {
        try (RedisMirror small = new RedisMirror(unreachable, Json.newMapper(), Duration.ofSeconds(15),
                Duration.ofMillis(10), 2, clock)) {
            small.snapshot(snapshot("a", T0));
            small.snapshot(snapshot("b", T0));
            assertThat(small.resyncNeeded()).isFalse();

            small.snapshot(snapshot("c", T0)); // a third database: dropped
            small.snapshot(snapshot("a", T0.plusSeconds(5))); // a waiting database's newer update still replaces it

            assertThat(small.backlog()).isEqualTo(2);
            assertThat(small.resyncNeeded()).isTrue();
            assertThat(small.resync(java.util.List.of(snapshot("c", T0)))).as("Redis still down").isFalse();
            assertThat(small.resyncNeeded()).isTrue();
        }
    }
}
