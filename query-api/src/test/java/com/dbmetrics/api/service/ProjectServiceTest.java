package com.dbmetrics.api.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.FakeRedis;
import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.schemas.time.MutableClock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A project listing when the streams-app cannot answer: the page read last is answered ({@code STALE}), each snapshot
 * with its own age and flagged stale past its bound, for as long as Redis keeps a stale copy; a page never read is a
 * 503. A slow streams-app costs a reader {@link IqClient#READER_WAIT} at most, and its page replaces the held one
 * when it comes. Fake time; the streams-app is a local HTTP server that answers one page, slowly when told, or 503
 * as a streams-app whose task is being rebuilt does.
 */
class ProjectServiceTest {

    private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(5);
    private static final Principal READER = new Principal("rita", List.of("acme/shop"), Set.of());

    private final ObjectMapper mapper = Json.newMapper();
    private final MutableClock clock = new MutableClock(T0);
    private final AtomicBoolean answering = new AtomicBoolean(true);
    /** How long the streams-app takes to answer (ms): a paused or overloaded one is slow, not down. */
    private final AtomicInteger answerAfterMillis = new AtomicInteger();
    /** The connections every snapshot of the page has. */
    private final AtomicInteger connections = new AtomicInteger(7);
    private final AtomicInteger asked = new AtomicInteger();
    private final HttpServer iq = streamsApp();
    private final IqClient client;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final ProjectService service;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    ProjectServiceTest() {
        client = new IqClient(HttpClient.newHttpClient(),
                List.of(URI.create("http://127.0.0.1:" + iq.getAddress().getPort())),
                InternalToken.of(Secret.of("project-service-iq-token-0123456789", "test")), JsonSerde.snapshots(mapper),
                mapper, Duration.ofSeconds(2));
        limits = new RateLimits(new RateLimiter(GuardedRedis.of(null), clock, Duration.ofMinutes(1), true,
                clock::nanos), 1_000_000, 1_000_000, 0);
        renderer = new SnapshotRenderer(new FakeRedis().snapshots(), mapper, clock, Duration.ofSeconds(5));
        service = new ProjectService(client, renderer, limits, mapper, TTL, clock::nanos);
        service.bindTo(registry);
    }

    /** Snapshots of T0, every 15 s: stale 35 s after T0 (2 × interval + the 5 s grace). */
    private HttpServer streamsApp() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/internal/v1/projects/acme/shop/snapshots", exchange -> {
                asked.incrementAndGet();
                try {
                    Thread.sleep(answerAfterMillis.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (!answering.get()) {
                    exchange.sendResponseHeaders(503, -1);
                    exchange.close();
                    return;
                }
                ObjectNode page = mapper.createObjectNode();
                ArrayNode items = page.putArray("items");
                for (String id : List.of("db-1", "db-2")) {
                    items.add(mapper.readTree(JsonSerde.snapshots(mapper).serialize(null, MetricsSnapshot.of(
                            new DatabaseRef(id, id, "postgresql", "acme", "shop"), T0, 15,
                            Map.of(Metric.CONNECTIONS, (double) connections.get())))));
                }
                page.putNull("next_cursor");
                byte[] body = mapper.writeValueAsBytes(page);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void close() {
        iq.stop(0);
        ((ExecutorService) iq.getExecutor()).shutdownNow();
    }

    private ReadResult list() {
        return service.list(READER, "acme", "shop", null, null, null).result();
    }

    private JsonNode body(ReadResult result) throws IOException {
        assertThat(result).isInstanceOf(ReadResult.Ok.class);
        return mapper.readTree(((ReadResult.Ok) result).body());
    }

    private double pages(String source) {
        return registry.get("dbm_api_listing_pages").tag("source", source).functionCounter().count();
    }

    @Test
    void shouldAnswerThePageReadLastWhenTheStreamsAppCannotAnswer() throws Exception {
        assertThat(((ReadResult.Ok) list()).layer()).isEqualTo("IQ");
        assertThat(((ReadResult.Ok) list()).layer()).as("within the TTL: held").isEqualTo("L1");
        answering.set(false);
        clock.advance(TTL.plusSeconds(5));

        ReadResult stale = list();

        assertThat(((ReadResult.Ok) stale).layer()).isEqualTo("STALE");
        JsonNode items = body(stale).path("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).path("age_seconds").asLong()).isEqualTo(10);
        assertThat(items.get(0).has("stale")).as("10 s old: within its bound, not yet stale").isFalse();
        assertThat(asked.get()).as("the streams-app was asked again once the TTL ran out").isEqualTo(2);

        clock.advance(Duration.ofSeconds(30));
        JsonNode old = body(list()).path("items").get(1);
        assertThat(old.path("age_seconds").asLong()).isEqualTo(40);
        assertThat(old.path("stale").asBoolean()).isTrue();
        assertThat(old.path("reason").asText()).isEqualTo(SnapshotRenderer.REASON_SOURCE_UNAVAILABLE);
        assertThat(pages("gathered")).isEqualTo(1);
        assertThat(pages("held")).isEqualTo(1);
        assertThat(pages("stale")).isEqualTo(2);
        assertThat(service.staleAnswers()).isEqualTo(2);

        answering.set(true);
        assertThat(((ReadResult.Ok) list()).layer()).as("the streams-app answers again: gathered anew")
                .isEqualTo("IQ");
    }

    @Test
    void shouldAnswer503ForAPageNeverReadOrNoLongerKept() {
        answering.set(false);
        assertThat(list()).as("never read").isInstanceOf(ReadResult.Unavailable.class);

        answering.set(true);
        assertThat(list()).isInstanceOf(ReadResult.Ok.class);
        answering.set(false);
        clock.advance(Duration.ofSeconds(RedisKeys.STALE_TTL_SECONDS).plusSeconds(1));

        assertThat(list()).as("kept as long as Redis' stale copy, not longer")
                .isInstanceOf(ReadResult.Unavailable.class);
        assertThat(service.all("acme", "shop")).isEmpty();
        assertThat(pages("stale")).isZero();
    }

    @Test
    void shouldAnswerThePageReadLastWithinTheReaderWaitWhenTheStreamsAppIsSlowThenItsNewPage() throws Exception {
        assertThat(list()).isInstanceOf(ReadResult.Ok.class);
        answerAfterMillis.set(1_500);
        connections.set(9);
        clock.advance(TTL);
        ExecutorService readers = Executors.newFixedThreadPool(8);
        try {
            List<Future<ReadResult>> answers = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                answers.add(readers.submit(this::list));
            }
            for (Future<ReadResult> answer : answers) {
                ReadResult r = answer.get();
                assertThat(((ReadResult.Ok) r).layer()).isEqualTo("STALE");
                assertThat(body(r).path("items").get(0).path("metrics").path("connections").asInt()).isEqualTo(7);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the reader wait, not the slow answer")
                    .isLessThan(Duration.ofMillis(1_200));
        } finally {
            readers.shutdownNow();
        }

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ReadResult r = list();
            assertThat(((ReadResult.Ok) r).layer()).as("the late page, held now").isEqualTo("L1");
            assertThat(body(r).path("items").get(0).path("metrics").path("connections").asInt()).isEqualTo(9);
        });
        assertThat(asked.get()).as("eight readers of one page: one gathering").isEqualTo(2);
    }

    @Test
    void shouldHoldPagesUpToTheirSnapshotsBound() {
        ProjectService bounded = new ProjectService(client, renderer, limits, mapper, TTL, clock::nanos, 30);
        for (int cursor = 0; cursor < 20; cursor++) { // 20 pages of the fake's two snapshots, each weighing 3
            assertThat(bounded.list(READER, "acme", "shop", null, "c" + cursor, null).result())
                    .isInstanceOf(ReadResult.Ok.class);
        }

        assertThat(bounded.heldWeight()).as("the least used pages left").isPositive().isLessThanOrEqualTo(30);
    }

    @Test
    void shouldStartAProjectStreamFromThePageReadLast() {
        assertThat(service.all("acme", "shop")).hasValueSatisfying(all -> assertThat(all).hasSize(2));
        answering.set(false);
        clock.advance(TTL.multipliedBy(2));

        assertThat(service.all("acme", "shop")).hasValueSatisfying(all -> assertThat(all)
                .extracting(MetricsSnapshot::databaseId).containsExactly("db-1", "db-2"));
    }
}
