package com.dbmetrics.streams.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/** The mirror's lag with Redis unreachable (nothing listens on its port) and a fake clock; RedisMirrorIT has Redis. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RedisMirrorTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong nanos = new AtomicLong(-5 * SECOND); // nanoTime may be negative
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
                nanos::get);
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
        nanos.addAndGet(60 * SECOND);

        assertThat(mirror.lagSeconds()).isZero();
        assertThat(mirror.backlog()).isZero();
    }

    @Test
    void shouldMeasureLagFromTheOldestWaitingUpdateWhileRedisIsDown() {
        mirror.snapshot(snapshot("a", T0));
        nanos.addAndGet(2 * SECOND);
        mirror.snapshot(snapshot("b", T0)); // a younger update does not make the backlog younger
        mirror.snapshot(snapshot("a", T0.plusSeconds(5))); // nor does a newer snapshot replacing a waiting one
        nanos.addAndGet(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(3.0);
    }

    @Test
    void shouldKeepTheAgeOfUpdatesPutBackAfterAFailedFlush() {
        mirror.snapshot(snapshot("a", T0));
        nanos.addAndGet(4 * SECOND);

        // put back at least once (and not in flight now, when the backlog holds it again)
        await().atMost(Duration.ofSeconds(10)).until(() -> mirror.failedFlushes.sum() >= 2 && mirror.backlog() == 1);
        nanos.addAndGet(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(5.0); // in flight or waiting again: the same age
    }

    @Test
    void shouldCountAWaitingPollerStatusAsLag() {
        mirror.pollerStatus(new PollerStatus("prometheus", PollerStatus.State.OPEN, T0, T0, "down", T0, "poller-1"));
        nanos.addAndGet(SECOND);

        assertThat(mirror.lagSeconds()).isEqualTo(1.0);
        assertThat(mirror.backlog()).isZero(); // the backlog gauge counts databases only
    }
}
