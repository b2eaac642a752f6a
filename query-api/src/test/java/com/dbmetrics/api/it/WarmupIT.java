package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.QueryApi;
import com.dbmetrics.api.http.ApiServer;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;

/**
 * A starting instance warms up before it reports ready (load.Warmup): on the real Redis, the live feed announces a
 * database as the streams-app's mirror would, and the instance reads it from itself through its own API port.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmupIT {

    private static final int REQUESTS = 600;
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final JedisPooled redis = ApiFixture.seedingRedis();
    private final HttpClient http = HttpClient.newHttpClient();
    private QueryApi api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        redis.close();
    }

    private HttpResponse<String> readyz() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of {@code dbm_api_requests_seconds_count} for one route and status, 0 when never counted. */
    private double requests(String route, int status) throws Exception {
        return ApiFixture.metricsText(api).lines()
                .filter(l -> l.startsWith("dbm_api_requests_seconds_count{") && l.contains("route=\"" + route + "\"")
                        && l.contains("status=\"" + status + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void shouldAnswerNotReadyUntilItHasReadTheAnnouncedDatabasesFromItselfThenReady() throws Exception {
        api = ApiFixture.start(Map.of("API_WARMUP_REQUESTS", Integer.toString(REQUESTS),
                "METRICS_RATE_LIMIT_PER_USER", "100000", "METRICS_RATE_LIMIT_PER_DB", "100000"));
        // nothing announced yet: the warm-up waits for the feed's first snapshot, and the instance is not ready
        HttpResponse<String> warming = readyz();
        assertThat(warming.statusCode()).isEqualTo(503);
        assertThat(warming.body()).contains("Not ready: warming up");
        assertThat(ApiFixture.metric(api, "dbm_api_warming_up")).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(5)).until(() -> ApiFixture.metric(api, "dbm_api_feed_subscribed") == 1.0);

        String id = "warm-" + run;
        String json = ApiFixture.MAPPER.writeValueAsString(MetricsSnapshot.of(
                new DatabaseRef(id, "name-" + id, "postgresql", "acme", "warm"), ApiFixture.now(), 5,
                Map.of(Metric.CONNECTIONS, 7.0)));
        redis.setex(RedisKeys.fresh(id), 60, json);
        redis.setex(RedisKeys.stale(id), 300, json);
        redis.publish(RedisKeys.SNAPSHOTS_CHANNEL, json);

        await().atMost(Duration.ofSeconds(60)).until(() -> readyz().statusCode() == 200);
        assertThat(readyz().body()).isEqualTo("{\"status\":\"ready\"}");
        assertThat(ApiFixture.metric(api, "dbm_api_warming_up")).isEqualTo(0.0);
        assertThat(ApiFixture.metric(api, "dbm_api_warmup_requests_total")).isEqualTo(REQUESTS);
        String metricsRoute = ApiServer.METRICS_PATH;
        // most reads were of the announced database, answered in full (L2, then L1), as a user's would be
        assertThat(requests(metricsRoute, 200)).isGreaterThanOrEqualTo(REQUESTS / 2.0);
        // and the project's listing (the streams-app is absent here: 503, as a user's would be)
        assertThat(requests(ApiServer.PROJECT_PATH, 503)).isPositive();
        assertThat(ApiFixture.metric(api, "dbm_api_l2_hits_total")).isPositive();
        assertThat(ApiFixture.metricsText(api).lines().filter(l -> l.startsWith("dbm_api_auth_failures_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum())
                .as("every warm-up token was accepted").isZero();
    }

    @Test
    void shouldBeReadyAtOnceWithoutWarmup() throws Exception {
        api = ApiFixture.start(Map.of());
        assertThat(readyz().statusCode()).isEqualTo(200);
        assertThat(ApiFixture.metric(api, "dbm_api_warmup_requests_total")).isZero();
    }
}
