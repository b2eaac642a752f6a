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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    /**
     * A Redis that accepts connections but does not answer (SIGSTOP): every read here is an L1 hit, and each of the
     * 320 is its user's first, so it needs a rate-limit lease. Before the breaker each waited for a full Redis timeout
     * (1 s); now the first few wait at most the budget (API_REDIS_TIMEOUT), then the breaker answers at once and the
     * local limiter stands in, until a probe finds Redis answering again.
     */
    @Test
    void shouldKeepAnsweringFastWhileRedisIsStoppedAndUseItAgainAfter() throws Exception {
        int port = startRedis();
        api = ApiFixture.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port), Map.of("METRICS_CACHE_MEMORY_TTL",
                "60s", "API_REDIS_TIMEOUT", "50ms", "API_REDIS_RETRY", "500ms"), Clock.systemUTC());
        try (JedisPooled redis = new JedisPooled(new HostAndPort("127.0.0.1", port))) {
            ApiFixture.seed(redis, "stopped-db", "shop", ApiFixture.now(), true);
        }
        String path = ApiFixture.metricsPath("shop", "stopped-db");
        assertThat(ApiFixture.get(api, path, ApiFixture.token("warm", "acme/shop")).statusCode()).isEqualTo(200);
        // the same reads first with Redis answering: on a busy machine every read is slower, and the outage must
        // not add more than its budget to what the machine costs anyway
        List<Long> baseline = new CopyOnWriteArrayList<>();
        List<Integer> baselineStatuses = new CopyOnWriteArrayList<>();
        readConcurrently(path, "running-", baseline, baselineStatuses);
        assertThat(baselineStatuses).hasSize(320).containsOnly(200);
        long slowUp = percentile(baseline, 90);

        signal("STOP");
        List<Long> millis = new CopyOnWriteArrayList<>();
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        try {
            readConcurrently(path, "stopped-", millis, statuses);
            assertThat(metric("dbm_api_redis_breaker_open")).isEqualTo(1.0);
        } finally {
            signal("CONT");
        }

        assertThat(statuses).hasSize(320).containsOnly(200);
        // a read that waited out Redis' whole timeout (1 s) instead of its 50 ms budget would show
        // here; the bound is the slow tenth of the same reads with Redis up, plus 200 ms
        long bound = slowUp + 200;
        assertThat(millis.stream().filter(ms -> ms >= bound).count())
                .as("reads of %d ms or more (p90 with Redis up: %d ms), of 320: %s; with Redis up: %s", bound, slowUp,
                        millis, baseline)
                .isLessThanOrEqualTo(16);
        assertThat(millis.stream().mapToLong(Long::longValue).max().orElseThrow()).isLessThan(1000 + slowUp);
        assertThat(metric("dbm_api_redis_short_circuited_total")).isPositive();
        assertThat(metric("dbm_api_rate_limit_fail_open_total")).isGreaterThanOrEqualTo(300);
        // Redis answers again: the API's own probe finds it (no read needed), and the breaker closes
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(metric("dbm_api_redis_breaker_open")).isZero());
        assertThat(ApiFixture.get(api, path, ApiFixture.token("after", "acme/shop")).statusCode()).isEqualTo(200);
    }

    /** 320 reads, each with its own user's token, on 16 threads; each read's time and status. */
    private void readConcurrently(String path, String userPrefix, List<Long> millis, List<Integer> statuses)
            throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 320; i++) {
            tokens.add(ApiFixture.token(userPrefix + i, "acme/shop"));
        }
        ExecutorService readers = Executors.newFixedThreadPool(16);
        for (String token : tokens) {
            readers.submit(() -> {
                long start = System.nanoTime();
                statuses.add(ApiFixture.get(api, path, token).statusCode());
                millis.add((System.nanoTime() - start) / 1_000_000);
                return null;
            });
        }
        readers.shutdown();
        assertThat(readers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    private static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(redisServer.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    /** One sample of the API's /metrics (management port), by name without labels. */
    private double metric(String name) throws Exception {
        return ApiFixture.metric(api, name);
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
