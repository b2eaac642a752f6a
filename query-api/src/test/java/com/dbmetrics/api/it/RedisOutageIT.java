package com.dbmetrics.api.it;

import static com.dbmetrics.api.it.ApiFixture.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.QueryApi;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * Redis stopped mid-test. The test runs a redis-server of its own (the binary {@code ./dbm} installs), so stopping it
 * disturbs no other test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisOutageIT {

    private Process redisServer;
    private QueryApi api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        if (redisServer != null) {
            redisServer.destroyForcibly();
        }
    }

    private int startRedis() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        File dir = Files.createTempDirectory("it-redis").toFile();
        redisServer = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.getPath())
                .redirectErrorStream(true).redirectOutput(new File(dir, "redis.log")).start();
        try (JedisPooled probe = new JedisPooled(new HostAndPort("127.0.0.1", port))) {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "PONG".equals(probe.ping()));
        }
        return port;
    }

    @Test
    void shouldServeFromMemoryAndFailOpenWhileRedisIsDown() throws Exception {
        int port = startRedis();
        // a private, plaintext redis-server this test stops: not the stack's Redis
        api = ApiFixture.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port),
                Map.of("METRICS_CACHE_MEMORY_TTL", "30s", "METRICS_RATE_LIMIT_PER_USER", "5"), Clock.systemUTC());
        try (JedisPooled redis = new JedisPooled(new HostAndPort("127.0.0.1", port))) {
            ApiFixture.seed(redis, "outage-db", "shop", ApiFixture.now(), true);
        }
        String token = ApiFixture.token("outage-user", "acme/shop", "role:admin");
        assertThat(ApiFixture.get(api, ApiFixture.metricsPath("shop", "outage-db"), token).statusCode()).isEqualTo(200);

        redisServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        int fiveXx = 0;
        int ok = 0;
        int limited = 0;
        for (int i = 0; i < 8; i++) {
            int status = ApiFixture.get(api, ApiFixture.metricsPath("shop", "outage-db"), token).statusCode();
            fiveXx += status >= 500 ? 1 : 0;
            ok += status == 200 ? 1 : 0;
            limited += status == 429 ? 1 : 0;
        }
        assertThat(fiveXx).as("no 5xx while Redis is down").isZero();
        // the local limiter stands in with the same limit: 5 per window on this instance, one already used in Redis
        assertThat(ok).isEqualTo(5);
        assertThat(limited).isEqualTo(3);
        var stats = MAPPER.readTree(ApiFixture.get(api, "/api/v1/metrics/cache-stats", token).body());
        assertThat(stats.path("rate_limit_fail_open").asLong()).isGreaterThanOrEqualTo(8);
        assertThat(stats.path("l1_hits").asLong()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void shouldRefuseWith503WhenConfiguredToFailClosed() throws Exception {
        int port = startRedis();
        api = ApiFixture.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port),
                Map.of("METRICS_RATE_LIMIT_FAIL_OPEN", "false"), Clock.systemUTC());
        redisServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        var r = ApiFixture.get(api, ApiFixture.metricsPath("shop", "any-db"), ApiFixture.token("u", "acme/shop"));

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.body()).isEqualTo("{\"error\":\"Rate limiter unavailable\",\"status\":503}");
    }
}
