package com.dbmetrics.api.service;

import com.dbmetrics.api.source.GuardedRedis;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.ratelimit.Scope;
import com.dbmetrics.api.source.FakeRedis;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.schemas.time.MutableClock;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tenant first, then limits: the per-database limit is spent only by readers of the database's own domain/project,
 * and another tenant's database id answers exactly as an unknown id, also past the limit and under concurrent load.
 * Fake time; Redis is {@link FakeRedis} (the limiter's local stand-in counts); the streams-app is a local HTTP server
 * that knows no database (as for every id not in Redis) and records the Authorization header it receives.
 */
class TenantFirstTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final String IQ_TOKEN = "tenant-first-iq-token-0123456789abcdef";
    private static final int PER_DATABASE = 3;
    private static final Principal ATTACKER = new Principal("mallory", List.of("acme/shop"), Set.of());
    private static final Principal OWNER = new Principal("olivia", List.of("beta/blog"), Set.of());

    private final ObjectMapper mapper = Json.newMapper();
    private final MutableClock clock = new MutableClock(T0);
    private final FakeRedis redis = new FakeRedis();
    private final ConcurrentLinkedQueue<String> iqAuthorizations = new ConcurrentLinkedQueue<>();
    private final HttpServer iq = streamsAppKnowingNothing();
    private final SnapshotLookup lookup;
    private final RateLimits limits;
    private final MetricsService service;

    TenantFirstTest() {
        IqClient client = new IqClient(HttpClient.newHttpClient(),
                List.of(URI.create("http://127.0.0.1:" + iq.getAddress().getPort())), InternalToken.of(Secret.of(IQ_TOKEN, "test")),
                JsonSerde.snapshots(mapper), mapper, Duration.ofSeconds(2));
        lookup = new SnapshotLookup(redis.snapshots(), client, Duration.ofSeconds(5), 100, clock::nanos);
        limits = new RateLimits(new RateLimiter(GuardedRedis.of(null), clock, Duration.ofMinutes(1), true, clock::nanos), 1_000_000,
                PER_DATABASE, 0);
        service = new MetricsService(lookup, new SnapshotRenderer(redis.snapshots(), mapper, clock,
                Duration.ofSeconds(5)), limits, mapper);
        redis.putFresh(MetricsSnapshot.of(new DatabaseRef("owned-db", "orders", "postgresql", "beta", "blog"), T0, 15,
                Map.of(Metric.CONNECTIONS, 1d)));
    }

    private HttpServer streamsAppKnowingNothing() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/internal/v1/", exchange -> {
                iqAuthorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
            });
            server.start();
            return server;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void close() {
        lookup.close();
        iq.stop(0);
    }

    private ReadResult.Answer read(Principal caller, String domain, String project, String id) {
        return service.read(caller, domain, project, id, null, null);
    }

    @Test
    void shouldKeepTheOwnersBudgetWhenAnotherTenantSpendsItsOwnOnTheSameId() {
        for (int i = 0; i < 10; i++) {
            read(ATTACKER, "acme", "shop", "owned-db");
        }

        Decision owners = limits.admitSourceRead("beta", "blog", "owned-db");

        assertThat(owners.allowed()).isTrue();
        assertThat(owners.remaining()).as("the owner's first source read of the window").isEqualTo(PER_DATABASE - 1);
        assertThat(limits.refused(Scope.DATABASE)).as("the attacker's own budget ran out").isPositive();
        assertThat(read(OWNER, "beta", "blog", "owned-db").result()).isInstanceOf(ReadResult.Ok.class);
    }

    @Test
    void shouldAnswerAForeignIdExactlyAsAnUnknownIdAlsoPastThePerDatabaseLimit() {
        List<ReadResult.Answer> foreign = new ArrayList<>();
        List<ReadResult.Answer> unknown = new ArrayList<>();
        for (int i = 0; i < PER_DATABASE + 3; i++) {
            foreign.add(read(ATTACKER, "acme", "shop", "owned-db"));
        }
        for (int i = 0; i < PER_DATABASE + 3; i++) {
            unknown.add(read(ATTACKER, "acme", "shop", "no-such-db"));
        }

        assertThat(foreign.subList(0, PER_DATABASE)).extracting(ReadResult.Answer::result)
                .allMatch(r -> r instanceof ReadResult.NotFound);
        assertThat(foreign.subList(PER_DATABASE, foreign.size())).extracting(ReadResult.Answer::result)
                .allMatch(r -> r instanceof ReadResult.RateLimited limited
                        && limited.decision().scope() == Scope.DATABASE);
        assertThat(results(foreign)).isEqualTo(results(unknown));
        assertThat(iqAuthorizations).as("every interactive query carries the token").isNotEmpty()
                .allMatch(("Bearer " + IQ_TOKEN)::equals);
    }

    @Test
    void shouldAnswerAForeignIdAsAnUnknownIdUnderConcurrentLoad() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ReadResult>> foreign = new ArrayList<>();
            List<Future<ReadResult>> owner = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                foreign.add(pool.submit(() -> read(ATTACKER, "acme", "shop", "owned-db").result()));
                owner.add(pool.submit(() -> read(OWNER, "beta", "blog", "owned-db").result()));
            }
            for (Future<ReadResult> f : foreign) {
                assertThat(f.get()).isInstanceOfAny(ReadResult.NotFound.class, ReadResult.RateLimited.class);
            }
            for (Future<ReadResult> f : owner) {
                assertThat(f.get()).isInstanceOf(ReadResult.Ok.class);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(limits.admitSourceRead("beta", "blog", "owned-db").remaining()).isEqualTo(PER_DATABASE - 1);
        ReadResult.Answer foreignNow = read(ATTACKER, "acme", "shop", "owned-db");
        ReadResult.Answer unknownNow = read(ATTACKER, "acme", "shop", "never-seen");
        assertThat(foreignNow.result()).isInstanceOf(ReadResult.RateLimited.class);
        assertThat(unknownNow.result()).isInstanceOf(ReadResult.NotFound.class);
        for (int i = 0; i < PER_DATABASE; i++) {
            unknownNow = read(ATTACKER, "acme", "shop", "never-seen");
        }
        assertThat(unknownNow.result()).isEqualTo(foreignNow.result());
    }

    /** The answers with what a client sees of them: results, and the rate standing sent as RateLimit-* headers. */
    private static List<Object> results(List<ReadResult.Answer> answers) {
        List<Object> seen = new ArrayList<>();
        for (ReadResult.Answer a : answers) {
            seen.add(a.result());
            seen.add(a.rate() == null ? null : List.of(a.rate().limit(), a.rate().resetSeconds()));
        }
        return seen;
    }
}
