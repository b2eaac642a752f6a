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
import com.dbmetrics.schemas.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;

/** Starts query-api instances against a Redis, signs tokens, and seeds snapshots: shared by the query-api ITs. */
final class ApiFixture {

    static final String SECRET = "query-api-it-secret-0123456789abcdef";
    static final ObjectMapper MAPPER = Json.newMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private ApiFixture() {}

    /** The streams-app token every API of these tests sends (the streams-app they name is absent or a fake). */
    static final String IQ_TOKEN = "query-api-it-iq-token-" + UUID.randomUUID();
    private static Path iqTokenFile;

    /** {@code STREAMS_IQ_TOKEN_FILE}: a temporary file holding {@link #IQ_TOKEN}, as a mounted secret would. */
    static synchronized String iqTokenFile() throws IOException {
        if (iqTokenFile == null) {
            iqTokenFile = Files.createTempFile("query-api-it-iq-token", "");
            iqTokenFile.toFile().deleteOnExit();
            Files.writeString(iqTokenFile, IQ_TOKEN + "\n");
        }
        return iqTokenFile.toString();
    }

    /** Redis of ./dbm test as the seeding side sees it: the streams-app's user, which writes the snapshot keys. */
    static JedisPooled seedingRedis() {
        return TestServices.redis(TestServices.REDIS_STREAMS);
    }

    /** An API on the shared Redis as its own user ({@code api}), with extra settings; the streams-app is absent. */
    static QueryApi start(Map<String, String> extra) throws Exception {
        return start(extra, Clock.systemUTC());
    }

    /** The same on {@code clock}: a test that moves it moves every TTL and window of the API. */
    static QueryApi start(Map<String, String> extra, Clock clock) throws Exception {
        return start(TestServices.redisEnv(TestServices.REDIS_API), extra, clock);
    }

    /** An API on the Redis {@code redisEnv} names (e.g. a private redis-server of one test), with extra settings. */
    static QueryApi start(Map<String, String> redisEnv, Map<String, String> extra, Clock clock) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("STREAMS_IQ_URLS", "http://127.0.0.1:1",
                "STREAMS_IQ_TOKEN_FILE", iqTokenFile(), "AUTH_JWT_SECRET", SECRET, "API_PORT", "0",
                "API_MANAGEMENT_PORT", "0", "METRICS_CACHE_MEMORY_TTL", "5s",
                // ready at once: a test's own requests are what it counts (WarmupIT turns the warm-up on)
                "API_WARMUP_REQUESTS", "0"));
        env.putAll(redisEnv);
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

    static void seed(UnifiedJedis redis, String id, String project, Instant t, boolean freshToo) throws Exception {
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

    /** The API's {@code /metrics}, from its management port. */
    static String metricsText(QueryApi api) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.managementPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of an unlabelled series of the API's {@code /metrics}. */
    static double metric(QueryApi api, String name) throws Exception {
        return metricsText(api).lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(name.length() + 1).trim())).findFirst().orElseThrow(() -> new AssertionError(name
                + " not in /metrics"));
    }

    static String metricsPath(String project, String id) {
        return "/api/v1/domain/acme/project/" + project + "/databases/" + id + "/metrics";
    }
}
