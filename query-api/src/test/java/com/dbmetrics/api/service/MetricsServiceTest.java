package com.dbmetrics.api.service;

import com.dbmetrics.api.source.GuardedRedis;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.FakeRedis;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.time.MutableClock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One database's metrics as a caller gets them, on fake time: freshness and its reason computed per request, the
 * tenant check on every answer whatever layer gave it. Redis is {@link FakeRedis}; the streams-app is absent; the
 * rate limiter finds no Redis script and its local stand-in admits (limits far above what the tests send).
 */
class MetricsServiceTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final int INTERVAL = 15;
    private static final Principal SHOP_READER = new Principal("alice", List.of("acme/shop"), Set.of());

    private final ObjectMapper mapper = Json.newMapper();
    private final MutableClock clock = new MutableClock(T0);
    private final FakeRedis redis = new FakeRedis();
    private final SnapshotLookup lookup;
    private final MetricsService service;

    MetricsServiceTest() {
        RedisSnapshots snapshots = redis.snapshots();
        IqClient absent = new IqClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(),
                List.of(URI.create("http://127.0.0.1:1")),
                InternalToken.of(Secret.of("iq-token-0123456789abcdef0123456789abcdef", "test")), JsonSerde.snapshots(mapper), mapper, Duration.ofSeconds(1));
        lookup = new SnapshotLookup(snapshots, absent, Duration.ofSeconds(5), 100, clock::nanos);
        RateLimits limits = new RateLimits(new RateLimiter(GuardedRedis.of(null), clock, Duration.ofMinutes(1), true, clock::nanos),
                1000, 1000, 0);
        service = new MetricsService(lookup, new SnapshotRenderer(snapshots, mapper, clock, Duration.ofSeconds(5)),
                limits, mapper);
    }

    @AfterEach
    void close() {
        lookup.close();
    }

    private static MetricsSnapshot snapshot(String id, String project, Instant t) {
        return MetricsSnapshot.of(new DatabaseRef(id, "name-" + id, "postgresql", "acme", project), t, INTERVAL,
                Map.of(Metric.CONNECTIONS, 42d));
    }

    private ReadResult read(Principal caller, String project, String id) {
        return service.read(caller, "acme", project, id, null, null).result();
    }

    private ReadResult.Ok ok(ReadResult result) {
        assertThat(result).isInstanceOf(ReadResult.Ok.class);
        return (ReadResult.Ok) result;
    }

    private JsonNode body(ReadResult result) throws Exception {
        return mapper.readTree(ok(result).body());
    }

    @Test
    void shouldAnswerAFreshSnapshotWithItsAgeAndNoStaleness() throws Exception {
        redis.putFresh(snapshot("db-1", "shop", T0));
        clock.advance(Duration.ofSeconds(3));

        ReadResult result = read(SHOP_READER, "shop", "db-1");

        assertThat(ok(result).layer()).isEqualTo("L2");
        assertThat(ok(result).ageSeconds()).isEqualTo(3);
        assertThat(ok(result).maxAgeSeconds()).as("2 x 15 s + 5 s grace - 3 s").isEqualTo(32);
        JsonNode body = body(result);
        assertThat(body.path("age_seconds").asLong()).isEqualTo(3);
        assertThat(body.path("metrics").path("connections").asInt()).isEqualTo(42);
        assertThat(body.has("stale")).isFalse();
        assertThat(body.has("reason")).isFalse();
    }

    @Test
    void shouldComputeTheAgeOfEveryAnswerWhenServedFromL1() throws Exception {
        redis.putFresh(snapshot("db-1", "shop", T0));
        clock.advance(Duration.ofSeconds(1));
        assertThat(body(read(SHOP_READER, "shop", "db-1")).path("age_seconds").asLong()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(2));
        ReadResult later = read(SHOP_READER, "shop", "db-1");

        assertThat(ok(later).layer()).isEqualTo("L1");
        assertThat(body(later).path("age_seconds").asLong()).isEqualTo(3);
        assertThat(service.requests()).isEqualTo(2);
    }

    @Test
    void shouldMarkTheSnapshotStaleWithItsReasonWhenOlderThanTwoIntervalsPlusGrace() throws Exception {
        redis.putFresh(snapshot("db-1", "shop", T0));
        clock.advance(Duration.ofSeconds(2L * INTERVAL + 5));
        assertThat(body(read(SHOP_READER, "shop", "db-1")).has("stale")).as("at the bound: still fresh").isFalse();

        clock.advance(Duration.ofSeconds(1));
        JsonNode stale = body(read(SHOP_READER, "shop", "db-1"));

        assertThat(stale.path("stale").asBoolean()).isTrue();
        assertThat(stale.path("reason").asText()).isEqualTo(SnapshotRenderer.REASON_POLLER_SILENT);
        assertThat(stale.path("age_seconds").asLong()).isEqualTo(36);
    }

    @Test
    void shouldGiveTheBreakerOpenReasonWhenThePollersBreakerIsOpen() throws Exception {
        redis.putFresh(snapshot("db-1", "shop", T0));
        redis.putPollerStatus(new PollerStatus("prometheus", PollerStatus.State.OPEN, T0, null,
                "Prometheus unreachable", T0, "p1"));
        clock.advance(Duration.ofMinutes(1));

        JsonNode stale = body(read(SHOP_READER, "shop", "db-1"));

        assertThat(stale.path("stale").asBoolean()).isTrue();
        assertThat(stale.path("reason").asText()).isEqualTo(SnapshotRenderer.REASON_BREAKER_OPEN);
    }

    @Test
    void shouldSaySourceUnavailableWhenOnlyTheStaleCopyAnswers() throws Exception {
        redis.putStale(snapshot("db-1", "shop", T0));
        clock.advance(Duration.ofMinutes(2));

        ReadResult result = read(SHOP_READER, "shop", "db-1");

        assertThat(ok(result).layer()).isEqualTo("STALE");
        assertThat(body(result).path("reason").asText()).isEqualTo(SnapshotRenderer.REASON_SOURCE_UNAVAILABLE);
    }

    @Test
    void shouldAnswerNotFoundAtEveryLayerWhenTheSnapshotBelongsToAnotherProject() {
        Principal both = new Principal("bob", List.of("acme/shop", "acme/blog"), Set.of());
        redis.putFresh(snapshot("db-1", "blog", T0));

        assertThat(read(both, "shop", "db-1")).as("loaded from Redis").isInstanceOf(ReadResult.NotFound.class);
        assertThat(read(both, "shop", "db-1")).as("held in L1").isInstanceOf(ReadResult.NotFound.class);
        assertThat(ok(read(both, "blog", "db-1")).layer()).isEqualTo("L1");
        assertThat(redis.gets()).isEqualTo(1);
    }

    @Test
    void shouldAnswerNotFoundWithoutLookingWhenTheProjectIsOutsideTheCallersTenants() {
        redis.putFresh(snapshot("db-1", "blog", T0));

        assertThat(read(SHOP_READER, "blog", "db-1")).isInstanceOf(ReadResult.NotFound.class);
        assertThat(redis.gets()).isZero();
    }

    @Test
    void shouldRefuseInvalidIdentifiersAndFields() {
        assertThat(read(SHOP_READER, "shop", ".hidden")).isInstanceOf(ReadResult.BadRequest.class);
        assertThat(service.read(SHOP_READER, "acme", "shop", "db-1", "qps", null).result())
                .isInstanceOf(ReadResult.BadRequest.class);
    }

    @Test
    void shouldAnswerNotModifiedWhenTheEtagMatches() {
        redis.putFresh(snapshot("db-1", "shop", T0));
        String etag = ok(read(SHOP_READER, "shop", "db-1")).etag();

        ReadResult.Ok again = ok(service.read(SHOP_READER, "acme", "shop", "db-1", null, etag).result());

        assertThat(again.notModified()).isTrue();
        assertThat(again.body()).isEmpty();
    }
}
