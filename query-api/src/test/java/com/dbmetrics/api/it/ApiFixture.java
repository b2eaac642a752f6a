package com.dbmetrics.api.it;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.JedisPooled;

/** Starts query-api instances against a Redis, signs tokens, and seeds snapshots: shared by the query-api ITs. */
final class ApiFixture {

    static final String SECRET = "query-api-it-secret-0123456789abcdef";
    static final ObjectMapper MAPPER = Json.newMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private ApiFixture() {}

    static String redisUrl() {
        String url = System.getenv("DBM_IT_REDIS_URL");
        if (url == null) {
            throw new IllegalStateException("DBM_IT_REDIS_URL is not set: run the integration tests through ./dbm test");
        }
        return url;
    }

    /** An API on {@code redisUrl} whose streams-app is absent (a closed port), with extra settings. */
    static QueryApi start(String redisUrl, Map<String, String> extra) throws Exception {
        return start(redisUrl, extra, Clock.systemUTC());
    }

    /** The same on {@code clock}: a test that moves it moves every TTL and window of the API. */
    static QueryApi start(String redisUrl, Map<String, String> extra, Clock clock) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("REDIS_URL", redisUrl, "STREAMS_IQ_URLS", "http://127.0.0.1:1",
                "AUTH_JWT_SECRET", SECRET, "API_PORT", "0", "API_MANAGEMENT_PORT", "0",
                "METRICS_CACHE_MEMORY_TTL", "5s"));
        env.putAll(extra);
        return QueryApi.start(ApiConfig.fromEnv(env), clock);
    }

    static String token(String user, String... tenantsAndRoles) throws Exception {
        List<String> tenants = new java.util.ArrayList<>();
        List<String> roles = new java.util.ArrayList<>();
        for (String t : tenantsAndRoles) {
            (t.startsWith("role:") ? roles : tenants).add(t.replace("role:", ""));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(user)
                .claim("tenants", tenants).claim("roles", roles)
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    static void seed(JedisPooled redis, String id, String project, Instant t, boolean freshToo) throws Exception {
        MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, "name-" + id, "postgresql", "acme", project), t, 15,
                Map.of(Metric.CONNECTIONS, 42d, Metric.STORAGE_SIZE, 1_073_741_824d));
        String json = MAPPER.writeValueAsString(s);
        redis.setex(RedisKeys.stale(id), 300, json);
        if (freshToo) {
            redis.setex(RedisKeys.fresh(id), 60, json);
        }
    }

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    static HttpResponse<String> get(QueryApi api, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
        OpenApiContract.check(response);
        return response;
    }

    static String metricsPath(String project, String id) {
        return "/api/v1/domain/acme/project/" + project + "/databases/" + id + "/metrics";
    }
}
