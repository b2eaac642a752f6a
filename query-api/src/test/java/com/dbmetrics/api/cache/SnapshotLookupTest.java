package com.dbmetrics.api.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.Scope;
import com.dbmetrics.api.source.FakeRedis;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.time.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The read path's layers on fake time: Caffeine's ticker is the test's clock, and refreshes wait in a queue the test
 * runs, so every TTL, refresh and expiry happens exactly when the test says. The streams-app is absent (a closed
 * port): whatever Redis cannot answer is unavailable.
 */
class SnapshotLookupTest {

    private static final Duration TTL = Duration.ofSeconds(4);
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final Function<String, Decision> ADMIT = id -> Decision.unlimited();

    private final MutableClock clock = new MutableClock(T0);
    private final FakeRedis redis = new FakeRedis();
    private final Deque<Runnable> refreshQueue = new ArrayDeque<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SnapshotLookup lookup = bound(lookup(refreshQueue::add));

    private SnapshotLookup lookup(Executor refresher) {
        return lookup(refresher, URI.create("http://127.0.0.1:1")); // a streams-app that is not there
    }

    /** A lookup whose streams-app is {@code streamsApp}, asked with a deadline of 5 s (a late answer still counts). */
    private SnapshotLookup lookup(Executor refresher, URI streamsApp) {
        IqClient iq = new IqClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(),
                List.of(streamsApp), InternalToken.of(Secret.of("iq-token-0123456789abcdef0123456789abcdef", "test")),
                JsonSerde.snapshots(Json.newMapper()), Json.newMapper(), Duration.ofSeconds(5));
        return new SnapshotLookup(redis.snapshots(), iq, TTL, 100, clock::nanos, refresher);
    }

    private SnapshotLookup bound(SnapshotLookup created) {
        created.bindTo(registry);
        return created;
    }

    @AfterEach
    void close() {
        lookup.close();
    }

    private static MetricsSnapshot snapshot(String id, Instant t) {
        return MetricsSnapshot.of(new DatabaseRef(id, "name-" + id, "postgresql", "acme", "shop"), t, 15,
                Map.of(Metric.CONNECTIONS, 42d));
    }

    private void runRefreshes() {
        while (!refreshQueue.isEmpty()) {
            refreshQueue.poll().run();
        }
    }

    private double counter(String name) {
        return registry.get(name).functionCounter().count();
    }

    private static Lookup.Found found(Lookup lookup) {
        assertThat(lookup).isInstanceOf(Lookup.Found.class);
        return (Lookup.Found) lookup;
    }

    /**
     * Redis can lose its newest write in a failover (the promoted replica had not received it): a reader whose L1 copy
     * expired meanwhile is answered the newer copy this instance served before, not sent back an interval.
     */
    @Test
    void shouldNeverAnswerOlderThanItAnsweredBeforeWhenRedisLostAWrite() {
        redis.putFresh(snapshot("db-1", T0.plusSeconds(15)));
        assertThat(found(lookup.get("db-1", ADMIT)).snapshot().timestamp()).isEqualTo(T0.plusSeconds(15));

        redis.putFresh(snapshot("db-1", T0)); // the promoted replica's older copy
        clock.advance(TTL.plusSeconds(1)); // L1's copy expires
        Lookup.Found after = found(lookup.get("db-1", ADMIT));

        assertThat(after.snapshot().timestamp()).isEqualTo(T0.plusSeconds(15));
        assertThat(after.layer()).isEqualTo(Layer.L1);
        assertThat(counter("dbm_api_l1_kept_newer")).isEqualTo(1);

        redis.putFresh(snapshot("db-1", T0.plusSeconds(30))); // the pipeline writes a newer one
        clock.advance(TTL.plusSeconds(1));
        assertThat(found(lookup.get("db-1", ADMIT)).snapshot().timestamp()).isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void shouldAnswerFromL1WhenReadAgainWithinTheTtl() {
        MetricsSnapshot s = snapshot("db-1", T0);
        redis.putFresh(s);

        Lookup.Found first = found(lookup.get("db-1", ADMIT));
        Lookup.Found second = found(lookup.get("db-1", ADMIT));

        assertThat(first.layer()).isEqualTo(Layer.L2);
        assertThat(second.layer()).isEqualTo(Layer.L1);
        assertThat(second.origin()).isEqualTo(Layer.L2);
        assertThat(second.snapshot()).isEqualTo(s);
        assertThat(redis.gets()).as("Redis read once").isEqualTo(1);
        assertThat(lookup.l1Hits()).isEqualTo(1);
        assertThat(lookup.l2Hits()).isEqualTo(1);
        assertThat(counter("dbm_api_l1_hits")).isEqualTo(1);
        assertThat(counter("dbm_api_l2_hits")).isEqualTo(1);
        assertThat(lookup.size()).isEqualTo(1);
    }

    @Test
    void shouldReadRedisAgainWhenTheL1EntryExpired() {
        redis.putFresh(snapshot("db-1", T0));
        lookup.get("db-1", ADMIT);

        clock.advance(TTL.minusMillis(1));
        assertThat(found(lookup.get("db-1", ADMIT)).layer()).isEqualTo(Layer.L1);
        clock.advance(Duration.ofMillis(1));
        Lookup.Found afterTtl = found(lookup.get("db-1", ADMIT));

        assertThat(afterTtl.layer()).isEqualTo(Layer.L2);
        assertThat(redis.gets()).isEqualTo(2);
    }

    @Test
    void shouldNotRefreshWhenReadBeforeHalfTheTtl() {
        redis.putFresh(snapshot("db-1", T0));
        lookup.get("db-1", ADMIT);

        clock.advance(TTL.dividedBy(2));
        lookup.get("db-1", ADMIT);

        assertThat(refreshQueue).isEmpty();
    }

    @Test
    void shouldAnswerTheHeldEntryThenReplaceItWhenReadAfterHalfTheTtl() {
        MetricsSnapshot older = snapshot("db-1", T0);
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(15));
        redis.putFresh(older);
        lookup.get("db-1", ADMIT);
        redis.putFresh(newer);

        clock.advance(TTL.dividedBy(2).plusMillis(1));
        Lookup.Found held = found(lookup.get("db-1", ADMIT));
        assertThat(held.layer()).isEqualTo(Layer.L1);
        assertThat(held.snapshot()).as("the reader does not wait for the refresh").isEqualTo(older);
        assertThat(refreshQueue).hasSize(1);
        assertThat(found(lookup.get("db-1", ADMIT)).snapshot()).isEqualTo(older);
        assertThat(refreshQueue).as("one refresh at a time per database").hasSize(1);

        runRefreshes();
        Lookup.Found refreshed = found(lookup.get("db-1", ADMIT));
        assertThat(refreshed.layer()).isEqualTo(Layer.L1);
        assertThat(refreshed.origin()).isEqualTo(Layer.L2);
        assertThat(refreshed.snapshot()).isEqualTo(newer);
        assertThat(counter("dbm_api_l1_refreshes")).isEqualTo(1);

        // the refreshed entry has a TTL of its own: past the first entry's deadline it still answers from L1
        clock.advance(TTL.dividedBy(2));
        assertThat(found(lookup.get("db-1", ADMIT)).layer()).isEqualTo(Layer.L1);
        assertThat(lookup.l2Hits()).isEqualTo(1);
    }

    @Test
    void shouldAnswerTheHeldEntryWhenTheRefreshItStartsEndsAtOnce() {
        SnapshotLookup immediate = lookup(Runnable::run);
        MetricsSnapshot older = snapshot("db-1", T0);
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(15));
        redis.putFresh(older);
        immediate.get("db-1", ADMIT);
        redis.putFresh(newer);

        clock.advance(TTL.dividedBy(2).plusMillis(1));

        assertThat(found(immediate.get("db-1", ADMIT)).snapshot()).isEqualTo(older);
        assertThat(found(immediate.get("db-1", ADMIT)).snapshot()).isEqualTo(newer);
    }

    @Test
    void shouldKeepTheEntryUntilItsTtlWithoutRereadingRedisWhenTheRefreshFails() {
        MetricsSnapshot s = snapshot("db-1", T0);
        redis.putFresh(s);
        lookup.get("db-1", ADMIT);
        redis.down(true);

        clock.advance(TTL.dividedBy(2).plusMillis(1));
        lookup.get("db-1", ADMIT);
        runRefreshes();
        int readsAfterRefresh = redis.gets();
        for (int i = 0; i < 5; i++) {
            Lookup.Found hit = found(lookup.get("db-1", ADMIT));
            assertThat(hit.layer()).isEqualTo(Layer.L1);
            assertThat(hit.snapshot()).isEqualTo(s);
        }
        clock.advance(TTL.dividedBy(2).minusMillis(2));
        assertThat(found(lookup.get("db-1", ADMIT)).layer()).isEqualTo(Layer.L1);

        assertThat(refreshQueue).as("no second refresh of an entry Redis could not replace").isEmpty();
        assertThat(redis.gets()).as("no Redis read on later hits").isEqualTo(readsAfterRefresh);
        assertThat(counter("dbm_api_redis_errors")).isEqualTo(1);
        assertThat(counter("dbm_api_l1_refreshes")).isZero();

        clock.advance(Duration.ofMillis(1)); // the entry's own deadline: the TTL was not extended
        assertThat(lookup.get("db-1", ADMIT)).isInstanceOf(Lookup.Unavailable.class);
    }

    /**
     * Redis down (or failing over) and the live feed with it: the refresh renews a read entry from the streams-app in
     * the background, so its readers keep getting L1 answers past the old deadline instead of all waiting for the
     * streams-app at once when it expires (./dbm chaos redis-failover).
     */
    @Test
    void shouldRenewTheEntryFromTheStreamsAppInTheBackgroundWhenRedisCannotRefreshIt() throws Exception {
        MetricsSnapshot s = snapshot("db-1", T0);
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(5));
        AtomicInteger iqReads = new AtomicInteger();
        HttpServer streamsApp = streamsApp(newer, new CountDownLatch(0), iqReads);
        Deque<Runnable> refreshes = new ArrayDeque<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SnapshotLookup withStreamsApp = lookup(refreshes::add, uri(streamsApp))) {
            withStreamsApp.bindTo(meters);
            redis.putFresh(s);
            withStreamsApp.get("db-1", ADMIT);
            redis.down(true);

            clock.advance(TTL.dividedBy(2).plusMillis(1));
            assertThat(found(withStreamsApp.get("db-1", ADMIT)).snapshot()).as("the held entry while refreshing")
                    .isEqualTo(s);
            refreshes.poll().run();
            assertThat(iqReads).hasValue(1);

            clock.advance(TTL.minusMillis(2)); // past the first entry's deadline, within the renewed one
            Lookup.Found hit = found(withStreamsApp.get("db-1", ADMIT));
            assertThat(hit.layer()).isEqualTo(Layer.L1);
            assertThat(hit.snapshot()).isEqualTo(newer);
            assertThat(iqReads).as("no reader waited for the streams-app").hasValue(1);
            assertThat(meters.get("dbm_api_l1_source_refreshes").functionCounter().count()).isEqualTo(1);
        } finally {
            streamsApp.stop(0);
        }
    }

    /**
     * A streams-app that takes the query but answers late (paused, overloaded) while Redis has only its stale copy:
     * the reader gets that copy after {@link IqClient#READER_WAIT} instead of waiting for the query's
     * deadline, and the streams-app's answer replaces it in L1 when it comes (./dbm chaos streams-stop).
     */
    @Test
    void shouldAnswerTheStaleCopyWhileTheStreamsAppIsLateAndKeepItsAnswerWhenItComes() throws Exception {
        MetricsSnapshot old = snapshot("db-1", T0);
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(5));
        redis.putStale(old);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer streamsApp = streamsApp(newer, release, new AtomicInteger());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SnapshotLookup withStreamsApp = lookup(refreshQueue::add, uri(streamsApp))) {
            withStreamsApp.bindTo(meters);

            Lookup.Found first = found(withStreamsApp.get("db-1", ADMIT));
            assertThat(release.getCount()).as("answered before the streams-app did").isEqualTo(1);
            release.countDown();

            assertThat(first.layer()).isEqualTo(Layer.STALE);
            assertThat(first.snapshot()).isEqualTo(old);
            assertThat(meters.get("dbm_api_iq_late").functionCounter().count()).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(found(withStreamsApp.get("db-1", ADMIT)).snapshot()).isEqualTo(newer));
            assertThat(found(withStreamsApp.get("db-1", ADMIT)).layer()).isEqualTo(Layer.L1);
        } finally {
            streamsApp.stop(0);
        }
    }

    /** A streams-app answering {@code answer} for db-1 once {@code release} is open, counting the queries. */
    private static HttpServer streamsApp(MetricsSnapshot answer, CountDownLatch release, AtomicInteger reads)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/internal/v1/snapshots/db-1", exchange -> {
            reads.incrementAndGet();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = JsonSerde.snapshots(Json.newMapper()).serialize("test", answer);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static URI uri(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Test
    void shouldNotReplaceTheEntryWithAnOlderCopyFromRedis() {
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(15));
        redis.putFresh(newer);
        lookup.get("db-1", ADMIT);
        redis.putFresh(snapshot("db-1", T0)); // a replayed older snapshot

        clock.advance(TTL.dividedBy(2).plusMillis(1));
        lookup.get("db-1", ADMIT);
        runRefreshes();
        lookup.get("db-1", ADMIT);

        assertThat(found(lookup.get("db-1", ADMIT)).snapshot()).isEqualTo(newer);
        assertThat(refreshQueue).isEmpty();
        assertThat(counter("dbm_api_l1_refreshes")).isZero();
    }

    @Test
    void shouldTryTheRefreshAgainOnALaterHitWhenTheRefreshQueueWasFull() {
        AtomicInteger offered = new AtomicInteger();
        SnapshotLookup full = lookup(task -> {
            if (offered.incrementAndGet() == 1) {
                throw new RejectedExecutionException("queue full (test)");
            }
            refreshQueue.add(task);
        });
        MetricsSnapshot newer = snapshot("db-1", T0.plusSeconds(15));
        redis.putFresh(snapshot("db-1", T0));
        full.get("db-1", ADMIT);
        redis.putFresh(newer);

        clock.advance(TTL.dividedBy(2).plusMillis(1));
        full.get("db-1", ADMIT);
        assertThat(refreshQueue).as("refused by the full queue").isEmpty();
        full.get("db-1", ADMIT);
        assertThat(refreshQueue).as("the next hit tries again").hasSize(1);
        runRefreshes();

        assertThat(offered).hasValue(2);
        assertThat(found(full.get("db-1", ADMIT)).snapshot()).isEqualTo(newer);
    }

    @Test
    void shouldServeTheStaleCopyWhenTheFreshKeyAndTheStreamsAppAreGone() {
        MetricsSnapshot s = snapshot("db-1", T0);
        redis.putStale(s);

        Lookup.Found stale = found(lookup.get("db-1", ADMIT));

        assertThat(stale.layer()).isEqualTo(Layer.STALE);
        assertThat(stale.snapshot()).isEqualTo(s);
        assertThat(counter("dbm_api_stale_hits")).isEqualTo(1);
        // counted when the refused query ends, which may be after the reader got the stale copy (IqClient.READER_WAIT)
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(counter("dbm_api_iq_failures")).isEqualTo(1));
    }

    @Test
    void shouldKeepNothingInL1WhenNoLayerFoundTheDatabase() {
        assertThat(lookup.get("db-1", ADMIT)).isEqualTo(new Lookup.Unavailable("streams-app unavailable"));
        redis.down(true);
        assertThat(lookup.get("db-1", ADMIT))
                .isEqualTo(new Lookup.Unavailable("Redis and streams-app unavailable"));

        assertThat(lookup.size()).isZero();
        assertThat(counter("dbm_api_l1_hits")).isZero();
    }

    @Test
    void shouldAskTheSourceGateOnlyWhenRedisHasNoFreshCopy() {
        Decision refused = new Decision(false, Scope.DATABASE, 2, 0, 30, 30);
        redis.putFresh(snapshot("cached", T0));

        assertThat(lookup.get("cached", id -> refused)).isInstanceOf(Lookup.Found.class);
        assertThat(lookup.get("uncached", id -> refused)).isEqualTo(new Lookup.RateLimited(refused));
    }
}
