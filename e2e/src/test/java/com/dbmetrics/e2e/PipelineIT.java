package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.QueryApi;
import com.dbmetrics.poller.Poller;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.config.PemTrust;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;
import com.dbmetrics.schemas.testing.TestServices;

/**
 * The walking skeleton end to end: real exporters → real Prometheus → poller → real Kafka → streams-app → real Redis →
 * query API. Poller, streams-app and query-api run in this JVM, each built by the same start method as its main.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PipelineIT {

    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Duration INGESTION_DELAY = Duration.ofSeconds(1);
    private static final Duration L1_TTL = Duration.ofSeconds(2);
    private static final String SECRET = "e2e-secret-" + UUID.randomUUID() + "-padding-to-48";

    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Poller poller;
    private StreamsApp streams;
    private QueryApi api;
    private Path stateDir;

    @BeforeAll
    void startPipeline() throws Exception {
        stateDir = Files.createTempDirectory("dbm-e2e-state");
        // the poller writes the contract topics as itself; the streams-app runs a unique application id, as admin
        Map<String, String> env = new HashMap<>(TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER));
        env.putAll(TestServices.kafkaEnv(TestServices.KAFKA_POLLER));
        env.put("METRICS_POLL_INTERVAL", INTERVAL.toSeconds() + "s");
        env.put("POLLER_INGESTION_DELAY", INGESTION_DELAY.toMillis() + "ms");
        env.put("POLLER_ID", "e2e-poller");
        poller = Poller.start(PollerConfig.fromEnv(env), Clock.systemUTC());

        int iqPort = TestStack.freePort();
        env = TestStack.streamsEnv("dbm-e2e-" + UUID.randomUUID(), iqPort);
        env.put("STREAMS_STATE_DIR", stateDir.toString());
        streams = StreamsApp.start(StreamsAppConfig.fromEnv(env), MetricsTopology.TopicNames.DEFAULT);

        env = TestStack.apiEnv(iqPort, SECRET);
        env.put("METRICS_CACHE_MEMORY_TTL", L1_TTL.toMillis() + "ms");
        api = QueryApi.start(ApiConfig.fromEnv(env), Clock.systemUTC());
    }

    @AfterAll
    void stopPipeline() {
        if (api != null) {
            api.close();
        }
        if (streams != null) {
            streams.close();
        }
        if (poller != null) {
            poller.close();
        }
    }

    @Test
    void shouldServeOpenedConnectionsWithinTwoIntervalsPlusCacheTtl() throws Exception {
        String pg = TestStack.postgresDatabaseId();
        JsonNode before = awaitMetrics(pg, Duration.ofSeconds(90));
        double baseline = before.path("metrics").path("connections").asDouble();
        int extra = 5;
        List<Connection> connections = new ArrayList<>();
        try {
            for (int i = 0; i < extra; i++) {
                connections.add(DriverManager.getConnection(TestStack.postgresJdbcUrl()));
            }
            // Prometheus sees the change at its next scrape (one scrape interval, here 5 s), then the poller's next
            // aligned tick (T + ingestion delay), then at most one L1 TTL: 2 × interval + delay + L1 TTL, plus 1 s
            // for Kafka → streams-app → Redis.
            Duration bound = INTERVAL.multipliedBy(2).plus(INGESTION_DELAY).plus(L1_TTL).plusSeconds(1);
            await().atMost(bound).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                    assertThat(get(pg, token("acme/shop")).body().path("metrics").path("connections").asDouble())
                            .isGreaterThanOrEqualTo(baseline + extra));
        } finally {
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    /**
     * The page, as a person uses it, in Debian's headless Chromium (e2e/node/ui-test.mjs, playwright-core): it
     * signs in with a token, sees a card for every demo database, and, once it says READY, this test opens real
     * connections to the demo PostgreSQL: the card's connections must rise without a reload (the project stream).
     * Screenshots go to target/ui-screenshots; console errors, failed requests and horizontal scrolling on a phone
     * fail it.
     */
    @Test
    void shouldShowEveryDemoDatabaseLiveInTheBrowser() throws Exception {
        String chromium = TestStack.require("DBM_IT_CHROMIUM");
        String script = TestStack.require("DBM_IT_UI_TEST");
        String pg = TestStack.postgresDatabaseId();
        double before = awaitMetrics(pg, Duration.ofSeconds(90)).path("metrics").path("connections").asDouble();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                .subject("browser-user").claim("tenants", List.of("acme/shop"))
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        Path shots = Path.of("target", "ui-screenshots").toAbsolutePath();
        Files.createDirectories(shots);
        ProcessBuilder builder = new ProcessBuilder("node", script);
        builder.environment().putAll(Map.of("CHROMIUM", chromium,
                "UI_URL", "http://127.0.0.1:" + api.port() + "/ui/", "UI_TOKEN", jwt.serialize(),
                "UI_DOMAIN", "acme", "UI_PROJECT", "shop",
                "UI_EXPECT_IDS", String.join(",", pg, TestStack.redisDatabaseId(), TestStack.mysqlDatabaseId()),
                "UI_WATCH_ID", pg, "UI_SCREENSHOT_DIR", shots.toString()));
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process browser = builder.start();
        List<Connection> connections = new ArrayList<>();
        List<String> out = new ArrayList<>();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(browser.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                out.add(line);
                if (line.startsWith("READY")) {
                    for (int i = 0; i < 5; i++) {
                        connections.add(DriverManager.getConnection(TestStack.postgresJdbcUrl()));
                    }
                }
            }
            assertThat(browser.waitFor(150, TimeUnit.SECONDS)).as("browser test finished").isTrue();
        } finally {
            browser.destroyForcibly();
            for (Connection c : connections) {
                c.close();
            }
        }
        // the other tests of this class count connections too: leave once the served count is back down
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(get(pg, token("acme/shop")).body().path("metrics").path("connections").asDouble())
                        .isLessThanOrEqualTo(before));
        assertThat(out).as("browser test output").anyMatch(l -> l.startsWith("ROSE"));
        assertThat(browser.exitValue()).as("browser test exit code; output %s", out).isZero();
        for (String png : List.of("sign-in.png", "project-desktop.png", "project-phone.png")) {
            assertThat(Files.size(shots.resolve(png))).as(png).isGreaterThan(1000);
        }
    }

    @Test
    void shouldServeAllFiveMetricsOfThreeRealEnginesAsPrometheusAnswersThemForTheSameTime() throws Exception {
        EngineCatalogue catalogue = EngineCatalogue.builtIn(mapper);
        List<String> ids = List.of(TestStack.postgresDatabaseId(), TestStack.redisDatabaseId(),
                TestStack.mysqlDatabaseId());
        // rate(...[1m]) needs two scrapes of a process-exporter counter: wait until every engine answers all five.
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Response r = get(id, token("acme/shop"));
                assertThat(r.status()).as("GET %s: %s", id, r.raw()).isEqualTo(200);
                assertThat(r.body().path("missing").isArray()).as("missing of %s: %s", id, r.raw()).isTrue();
                assertThat(r.body().path("missing")).as("missing of %s", id).isEmpty();
            });
        }
        for (String id : ids) {
            JsonNode served = awaitMetrics(id, Duration.ofSeconds(90));
            assertThat(served.path("missing").isArray() && served.path("missing").isEmpty())
                    .as("%s answers all five metrics: %s", id, served).isTrue();
            Instant t = Instant.parse(served.path("timestamp").asText());
            Map<Metric, String> queries = catalogue.queries(served.path("engine").asText()).orElseThrow();
            for (Metric metric : Metric.values()) {
                JsonNode value = served.path("metrics").path(metric.wireName());
                Double direct = queryPrometheus(queries.get(metric), t, id);
                if (direct == null) {
                    assertThat(value.isNull()).as("%s %s absent in Prometheus", id, metric).isTrue();
                    assertThat(served.path("missing").toString()).contains(metric.wireName());
                } else {
                    assertThat(value.asDouble()).as("%s %s at %s", id, metric, t)
                            .isCloseTo(direct, org.assertj.core.data.Offset.offset(Math.abs(direct) * 1e-9 + 1e-9));
                }
            }
        }
    }

    @Test
    void shouldAnswerOtherTenantExactlyAsUnknownDatabase() throws Exception {
        String pg = TestStack.postgresDatabaseId();
        awaitMetrics(pg, Duration.ofSeconds(90));

        Response foreign = get(pg, token("other/shop", "acme/blog"));
        // Right after start the streams-app may still be rebalancing: it then answers a typed 503 (by contract), so
        // wait for its definite answer about an unknown database before comparing.
        Response[] unknownAnswer = new Response[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            unknownAnswer[0] = get("no-such-db", token("acme/shop"));
            assertThat(unknownAnswer[0].status()).isNotEqualTo(503);
        });
        Response unknown = unknownAnswer[0];

        assertThat(foreign.status()).isEqualTo(404);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(foreign.raw()).isEqualTo(unknown.raw());
    }

    @Test
    void shouldRefuseMissingOrForgedTokenWithChallenge() throws Exception {
        String path = metricsPath(TestStack.postgresDatabaseId());
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(apiUri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        SignedJWT forged = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims("acme/shop"));
        forged.sign(new MACSigner(("not-the-" + SECRET).getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(apiUri(path))
                .header("Authorization", "Bearer " + forged.serialize()).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(mapper.readTree(bad.body()).path("status").asInt()).isEqualTo(401);
        assertThat(bad.body()).doesNotContain("Exception").doesNotContain("nimbus");
    }

    /** What the streams-app mirrored to the real Redis is what schemas/redis-keys.md and the JSON Schemas say. */
    @Test
    void shouldMirrorRedisValuesAsTheRedisKeyDocumentAndSchemasSay() throws Exception {
        String pg = TestStack.postgresDatabaseId();
        awaitMetrics(pg, Duration.ofSeconds(90));
        JsonSchema snapshotSchema = schema("metrics-snapshot.v1.schema.json");
        JsonSchema statusSchema = schema("poller-status.v1.schema.json");
        try (JedisPooled redis = TestServices.redis(TestServices.REDIS_API)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                // one MGET: the three keys of a database are read at one instant, between two mirror writes
                List<String> values = redis.mget(RedisKeys.fresh(pg), RedisKeys.stale(pg), RedisKeys.eventTime(pg));
                assertThat(values).doesNotContainNull();
                JsonNode fresh = mapper.readTree(values.get(0));
                assertThat(snapshotSchema.validate(fresh)).as("fresh value %s", values.get(0)).isEmpty();
                assertThat(values.get(1)).as("stale copy").isEqualTo(values.get(0));
                assertThat(values.get(2)).as("event time").matches("[0-9]+")
                        .isEqualTo(Long.toString(Instant.parse(fresh.path("timestamp").asText()).toEpochMilli()));
                long freshTtl = Math.max(15_000, (fresh.path("interval_seconds").asLong() + 5) * 1000);
                assertThat(redis.pttl(RedisKeys.fresh(pg))).isBetween(1L, freshTtl);
                assertThat(redis.pttl(RedisKeys.stale(pg))).isBetween(1L, RedisKeys.STALE_TTL_SECONDS * 1000L);
                assertThat(redis.pttl(RedisKeys.eventTime(pg))).isBetween(1L, RedisKeys.STALE_TTL_SECONDS * 1000L);
            });
            String status = redis.get(RedisKeys.pollerStatus("prometheus"));
            assertThat(status).as("poller status mirrored to Redis").isNotNull();
            assertThat(statusSchema.validate(mapper.readTree(status))).as("status value %s", status).isEmpty();
            assertThat(redis.pttl(RedisKeys.pollerStatus("prometheus"))).as("no TTL").isEqualTo(-1L);

            // the per-user limit of the default 1 min window: a counter under dbm:rl:{user:<sub>}:<window>
            assertThat(get(pg, token("acme/shop")).status()).isEqualTo(200);
            // the user's windows start at its own phase (redis-keys.md): splitmix64(31 × hash("USER") + hash(sub))
            long z = "USER".hashCode() * 31 + "e2e-user".hashCode();
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            long phase = Math.floorMod(z ^ (z >>> 31), 60_000L);
            long window = Math.floorDiv(System.currentTimeMillis() + phase, 60_000L);
            String key = RedisKeys.rateLimit("user", "e2e-user", window);
            if (!redis.exists(key)) { // the window turned between the request and now
                key = RedisKeys.rateLimit("user", "e2e-user", window - 1);
            }
            assertThat(redis.get(key)).as(key).isNotNull().matches("[1-9][0-9]*");
            assertThat(redis.pttl(key)).as("TTL of %s", key).isBetween(1L, 120_000L);
        }
    }

    private static JsonSchema schema(String name) throws IOException {
        try (InputStream in = PipelineIT.class.getResourceAsStream("/schemas/" + name)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private JsonNode awaitMetrics(String databaseId, Duration atMost) {
        JsonNode[] body = new JsonNode[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Response r = get(databaseId, token("acme/shop"));
            assertThat(r.status()).as("GET %s: %s", databaseId, r.raw()).isEqualTo(200);
            body[0] = r.body();
        });
        return body[0];
    }

    private Double queryPrometheus(String promql, Instant t, String databaseId) throws IOException, InterruptedException {
        long ms = t.toEpochMilli();
        Map<String, String> prometheus = TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER);
        String url = prometheus.get("PROMETHEUS_URL") + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8) + "&time=" + (ms / 1000) + "."
                + String.format("%03d", ms % 1000);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (prometheus.containsKey("PROMETHEUS_USERNAME")) { // the secured stack: the poller's basic auth
            String password = Files.readString(Path.of(prometheus.get("PROMETHEUS_PASSWORD_FILE"))).strip();
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (prometheus.get("PROMETHEUS_USERNAME") + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        HttpClient client = TestServices.caFile() == null ? http
                : HttpClient.newBuilder().sslContext(PemTrust.sslContext("DBM_IT_CA_FILE", TestServices.caFile())).build();
        JsonNode answer = mapper.readTree(client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(answer.path("status").asText()).isEqualTo("success");
        for (JsonNode sample : answer.path("data").path("result")) {
            if (databaseId.equals(sample.path("metric").path("database_id").asText())) {
                return Double.parseDouble(sample.path("value").get(1).asText());
            }
        }
        return null;
    }

    record Response(int status, String raw, JsonNode body) {}

    private Response get(String databaseId, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(apiUri(metricsPath(databaseId)))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), mapper.readTree(r.body()));
    }

    private static String metricsPath(String databaseId) {
        return "/api/v1/domain/acme/project/shop/databases/" + databaseId + "/metrics";
    }

    private URI apiUri(String path) {
        return URI.create("http://127.0.0.1:" + api.port() + path);
    }

    private static JWTClaimsSet claims(String... tenants) {
        return new JWTClaimsSet.Builder().subject("e2e-user").claim("tenants", List.of(tenants))
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).build();
    }

    private static String token(String... tenants) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims(tenants));
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

}
