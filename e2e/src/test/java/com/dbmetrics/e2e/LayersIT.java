package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.time.MutableClock;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;
import com.dbmetrics.schemas.testing.TestServices;

/**
 * Each layer of the read path serving, with the real streams-app, Kafka and Redis: IQ when Redis has nothing, L1 on
 * the next read, L2 once L1 expired and Redis has the key again, the project listing gathered by the streams-app. The
 * API runs in this JVM on a clock the test moves: its L1 TTL passes when the test says so, not while it sleeps. The
 * listing test runs last: it ends by stopping the streams-app, and the listing is then the page the API read last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LayersIT {

    private static final String SECRET = "layers-it-secret-0123456789abcdef-xyz";
    private static final Duration L1_TTL = Duration.ofSeconds(1);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("layers-snapshots-" + run,
            "layers-latest-" + run, "layers-status-" + run, "layers-dlq-" + run);
    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final MutableClock apiClock = new MutableClock(Instant.now()); // real time at start, then moved by hand
    private StreamsApp streams;
    private QueryApi api;
    private JedisPooled redis;
    private KafkaProducer<String, byte[]> producer;

    @BeforeAll
    void start() throws Exception {
        // unique topics and application id: Kafka as admin; Redis as each app's own user
        TestStack.createTopics(topics);
        int iqPort = TestStack.freePort();
        streams = StreamsApp.start(StreamsAppConfig.fromEnv(TestStack.streamsEnv("layers-" + run, iqPort)), topics);
        Map<String, String> env = TestStack.apiEnv(iqPort, SECRET);
        env.put("METRICS_CACHE_MEMORY_TTL", L1_TTL.toMillis() + "ms");
        // these tests poll while the streams-app starts, on a clock that stands still: the default 100 reads per user
        // and minute would run out in one window (a listing that took 10 s to appear was answered 429); limits have
        // their own tests (RateLimitIT)
        env.put("METRICS_RATE_LIMIT_PER_USER", "100000");
        env.put("METRICS_RATE_LIMIT_PER_DB", "100000");
        api = QueryApi.start(ApiConfig.fromEnv(env), apiClock);
        redis = TestServices.redis(TestServices.REDIS_STREAMS);
        producer = TestStack.adminProducer();
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {producer, api, streams, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private MetricsSnapshot produce(String id, String project) throws Exception {
        MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", project),
                Instant.now().truncatedTo(ChronoUnit.SECONDS), 15, Map.of(Metric.CONNECTIONS, 7d));
        producer.send(new ProducerRecord<>(topics.snapshots(), null, s.timestamp().toEpochMilli(), id,
                JsonSerde.snapshots(mapper).serialize(topics.snapshots(), s))).get();
        return s;
    }

    private HttpResponse<String> get(String path) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("layers")
                .claim("tenants", List.of("acme/" + "layers-" + run)).expirationTime(Date.from(Instant.now()
                        .plusSeconds(300))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .header("Authorization", "Bearer " + jwt.serialize()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void shouldServeFromIqThenL1ThenL2() throws Exception {
        String project = "layers-" + run;
        String id = "iq-" + run;
        MetricsSnapshot s = produce(id, project);
        String path = "/api/v1/domain/acme/project/" + project + "/databases/" + id + "/metrics";
        await().atMost(Duration.ofSeconds(60)).until(() -> redis.exists(RedisKeys.fresh(id)));
        redis.del(RedisKeys.fresh(id), RedisKeys.stale(id)); // Redis has nothing: only the state store knows

        // a streams-app that is still rebalancing answers a typed 503 (by contract): wait for the definite answer
        HttpResponse<String>[] answer = new HttpResponse[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            answer[0] = get(path);
            assertThat(answer[0].statusCode()).isNotEqualTo(503);
        });
        HttpResponse<String> fromIq = answer[0];
        assertThat(fromIq.statusCode()).isEqualTo(200);
        assertThat(fromIq.headers().firstValue("X-Cache")).hasValue("IQ");
        assertThat(mapper.readTree(fromIq.body()).path("metrics").path("connections").asInt()).isEqualTo(7);
        assertThat(get(path).headers().firstValue("X-Cache")).hasValue("L1");

        redis.setex(RedisKeys.fresh(id), 60, mapper.writeValueAsString(s));
        // left unread, the L1 entry expires (read past half its TTL it would be refreshed from Redis instead, and
        // keep answering from L1): the next read comes from Redis
        apiClock.advance(L1_TTL.plusMillis(200));
        assertThat(get(path).headers().firstValue("X-Cache")).hasValue("L2");
    }

    @Test
    @Order(2)
    void shouldListTheProjectThroughTheStreamsAppThenThePageReadLastWhenItIsGone() throws Exception {
        String project = "layers-" + run;
        String listing = "/api/v1/domain/acme/project/" + project + "/databases?limit=2&fields=connections";
        for (int i = 0; i < 3; i++) {
            produce("list-" + i + "-" + run, project);
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            // the API's clock stands still: a page read before the third database arrived would be held forever
            apiClock.advance(L1_TTL.plusMillis(1));
            HttpResponse<String> page = get(listing);
            assertThat(page.statusCode()).isEqualTo(200);
            var body = mapper.readTree(page.body());
            assertThat(body.path("items").size()).isEqualTo(2);
            assertThat(body.path("items").get(0).path("metrics").size()).isEqualTo(1);
            assertThat(body.path("next_cursor").isTextual()).isTrue();
        });

        // the streams-app is gone: the listing is the page read last, marked STALE, each snapshot with its own age
        streams.close();
        streams = null;
        apiClock.advance(L1_TTL.plusMillis(1));
        HttpResponse<String> held = get(listing);
        assertThat(held.statusCode()).isEqualTo(200);
        assertThat(held.headers().firstValue("X-Cache")).hasValue("STALE");
        var items = mapper.readTree(held.body()).path("items");
        assertThat(items.size()).isEqualTo(2);
        assertThat(items.get(0).path("metrics").path("connections").asInt()).isEqualTo(7);
        // past the snapshots' bound (2 × 15 s + the 5 s grace): the API's clock 40 s after their event time
        Instant pastBound = Instant.parse(items.get(1).path("timestamp").asText()).plusSeconds(40);
        apiClock.set(pastBound.isAfter(apiClock.instant()) ? pastBound : apiClock.instant());
        var aged = mapper.readTree(get(listing).body()).path("items").get(1);
        assertThat(aged.path("age_seconds").asLong()).isGreaterThanOrEqualTo(40);
        assertThat(aged.path("stale").asBoolean()).isTrue();
        assertThat(aged.path("reason").asText()).isEqualTo("Source unavailable");
        // a page never read before has nothing to fall back on
        assertThat(get("/api/v1/domain/acme/project/" + project + "/databases?limit=3").statusCode()).isEqualTo(503);
    }
}
