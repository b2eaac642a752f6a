package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.dbmetrics.schemas.time.MutableClock;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;

/**
 * The query API against the real Redis of {@code ./dbm test}; the streams-app is absent (its URL points at a closed
 * port), so every answer comes from Redis or is an honest 503. The API runs on a clock the tests move: TTLs, the age
 * of answers and the one-second poller-status cache pass when a test says so, not while it sleeps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueryApiIT {

    /** How long the API holds the poller status it read (SnapshotRenderer): moving the clock by it forgets it. */
    private static final Duration STATUS_CACHE = Duration.ofSeconds(1);

    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private QueryApi api;
    private JedisPooled redis;

    @BeforeAll
    void start() throws Exception {
        api = ApiFixture.start(Map.of(), clock);
        redis = ApiFixture.seedingRedis();
    }

    @AfterAll
    void stop() {
        api.close();
        redis.close();
    }

    private String put(String id, String project, Instant t, boolean freshToo) throws Exception {
        ApiFixture.seed(redis, id, project, t, freshToo);
        return id;
    }

    private HttpResponse<String> get(String project, String id, String query, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                + ApiFixture.metricsPath(project, id) + query))
                .header("Authorization", "Bearer " + token("acme/" + project));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
        OpenApiContract.check(response);
        return response;
    }

    private static String token(String tenant) throws Exception {
        return ApiFixture.token("u1", tenant);
    }

    @Test
    void shouldServeFromRedisThenFromMemoryWithFreshnessHeaders() throws Exception {
        String id = put("fresh-" + run, "shop", clock.instant(), true);

        HttpResponse<String> first = get("shop", id, "");
        HttpResponse<String> second = get("shop", id, "");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("L2");
        assertThat(second.headers().firstValue("X-Cache")).hasValue("L1");
        JsonNode body = mapper.readTree(first.body());
        assertThat(body.path("metrics").path("storage_size").asText()).isEqualTo("1073741824");
        assertThat(body.path("missing")).hasSize(3);
        assertThat(body.has("stale")).isFalse();
        assertThat(body.path("age_seconds").asLong()).isBetween(0L, 5L);
        assertThat(first.headers().firstValue("Age")).isPresent();
        assertThat(first.headers().firstValue("Cache-Control").orElseThrow()).startsWith("private, max-age=");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(etag).startsWith("W/\"");

        HttpResponse<String> notModified = get("shop", id, "", "If-None-Match", etag);
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();

        // the body of an L1 hit is reused only within one second of age: a second later it says so
        long ageOfSecond = mapper.readTree(second.body()).path("age_seconds").asLong();
        clock.advance(Duration.ofMillis(1100));
        HttpResponse<String> later = get("shop", id, "");
        assertThat(later.headers().firstValue("X-Cache")).hasValue("L1");
        assertThat(mapper.readTree(later.body()).path("age_seconds").asLong()).isGreaterThan(ageOfSecond);
    }

    @Test
    void shouldRefreshAnL1EntryFromRedisBeforeItExpires() throws Exception {
        // TTL 4 s: a hit past 2 s refreshes the entry in the background, so the newer snapshot is answered from L1
        // before the entry would have expired, and no reader waits for Redis
        MutableClock moving = new MutableClock(clock.instant());
        try (QueryApi refreshing = ApiFixture.start(Map.of("METRICS_CACHE_MEMORY_TTL", "4s"),
                moving)) {
            String id = "refresh-" + run;
            Instant first = moving.instant().minusSeconds(5);
            put(id, "shop", first, true);
            String token = token("acme/shop");
            String path = ApiFixture.metricsPath("shop", id);
            Instant loadedAt = moving.instant();
            assertThat(ApiFixture.get(refreshing, path, token).headers().firstValue("X-Cache")).hasValue("L2");
            Instant second = first.plusSeconds(5);
            put(id, "shop", second, true);

            moving.advance(Duration.ofMillis(2200)); // past half the TTL: this hit answers the held entry, refreshes it
            HttpResponse<String> old = ApiFixture.get(refreshing, path, token);
            assertThat(old.headers().firstValue("X-Cache")).hasValue("L1");
            assertThat(mapper.readTree(old.body()).path("timestamp").asText()).isEqualTo(first.toString());

            // the refresh runs on the API's refresh thread: wait for it, the API's time standing still
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                HttpResponse<String> r = ApiFixture.get(refreshing, path, token);
                assertThat(r.headers().firstValue("X-Cache")).hasValue("L1");
                assertThat(mapper.readTree(r.body()).path("timestamp").asText()).isEqualTo(second.toString());
            });
            assertThat(Duration.between(loadedAt, moving.instant())).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void shouldAnswerCorsPreflightOnlyForAllowedOrigins() throws Exception {
        try (QueryApi cors = ApiFixture.start(
                Map.of("API_CORS_ORIGINS", "https://dash.example.com"))) {
            String url = "http://127.0.0.1:" + cors.port() + ApiFixture.metricsPath("shop", "any");
            HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(URI.create(url))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "https://dash.example.com").header("Access-Control-Request-Method", "GET")
                    .header("Access-Control-Request-Headers", "authorization").build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(url))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "https://evil.example.com").header("Access-Control-Request-Method", "GET")
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://dash.example.com");
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void shouldSelectFields() throws Exception {
        String id = put("fields-" + run, "shop", clock.instant(), true);

        JsonNode body = mapper.readTree(get("shop", id, "?fields=connections,cpu_usage").body());

        assertThat(body.path("metrics").size()).isEqualTo(2);
        assertThat(body.path("metrics").path("connections").asInt()).isEqualTo(42);
        assertThat(get("shop", id, "?fields=qps").statusCode()).isEqualTo(400);
    }

    @Test
    void shouldMarkOldSnapshotStaleWithReasonAndCircuitBreakerWhenOpen() throws Exception {
        String id = put("old-" + run, "shop", clock.instant().minusSeconds(120), true);
        redis.del(RedisKeys.pollerStatus("prometheus"));
        clock.advance(STATUS_CACHE); // forget a status another test left in the API's cache

        JsonNode silent = mapper.readTree(get("shop", id, "").body());
        assertThat(silent.path("stale").asBoolean()).isTrue();
        assertThat(silent.path("reason").asText()).isEqualTo("Poller not reporting");

        PollerStatus open = new PollerStatus("prometheus", PollerStatus.State.OPEN, Instant.now(), null,
                "Prometheus unreachable", Instant.now(), "p1");
        redis.set(RedisKeys.pollerStatus("prometheus"), mapper.writeValueAsString(open));
        // the poller status is re-read at most once a second
        clock.advance(STATUS_CACHE);
        assertThat(mapper.readTree(get("shop", id, "").body()).path("reason").asText())
                .isEqualTo("Circuit breaker open");
        redis.del(RedisKeys.pollerStatus("prometheus"));
    }

    @Test
    void shouldFallBackToStaleCopyWhenFreshKeyAndStreamsAppAreGone() throws Exception {
        String id = put("stale-" + run, "shop", clock.instant().minusSeconds(100), false);
        redis.del(RedisKeys.pollerStatus("prometheus"));
        clock.advance(STATUS_CACHE); // forget a status another test left in the API's cache

        HttpResponse<String> r = get("shop", id, "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Cache")).hasValue("STALE");
        assertThat(mapper.readTree(r.body()).path("reason").asText()).isEqualTo("Source unavailable");
        assertThat(mapper.readTree(get("shop", id, "").body()).path("reason").asText()).isEqualTo("Source unavailable");
    }

    @Test
    void shouldAnswer503WithRetryAfterWhenNoSourceCanAnswer() throws Exception {
        HttpResponse<String> r = get("shop", "unknown-" + run, "");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(mapper.readTree(r.body()).path("status").asInt()).isEqualTo(503);
    }

    @Test
    void shouldAnswer404WhenSnapshotBelongsToAnotherProject() throws Exception {
        String id = put("elsewhere-" + run, "blog", clock.instant(), true);

        HttpResponse<String> r = get("shop", id, "");

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"Database not found\",\"status\":404}");
    }

    @Test
    void shouldRejectMalformedPathsWithoutLeakingInternals() throws Exception {
        HttpResponse<String> bad = get("shop", ".dotfirst", "");
        HttpResponse<String> nowhere = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                + "/api/v1/nothing")).header("Authorization", "Bearer " + token("acme/shop")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(nowhere.statusCode()).isEqualTo(404);
        assertThat(mapper.readTree(nowhere.body()).path("status").asInt()).isEqualTo(404);
    }
}
