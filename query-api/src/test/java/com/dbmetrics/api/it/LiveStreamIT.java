package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.SseReader;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.JedisPooled;

/**
 * The live side of the API on the real Redis: the feed is the documented channel (schemas/redis-keys.md), published
 * here as the streams-app's mirror would (as its Redis user); clients are plain HTTP readers of server-sent events.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LiveStreamIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final JedisPooled redis = ApiFixture.seedingRedis();
    private final List<AutoCloseable> open = new ArrayList<>();
    private QueryApi api;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (api != null) {
            api.close();
        }
        redis.close();
    }

    private QueryApi start(Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("METRICS_RATE_LIMIT_PER_USER", "100000",
                "METRICS_RATE_LIMIT_PER_DB", "100000"));
        env.putAll(extra);
        api = ApiFixture.start(env);
        await().atMost(WAIT).until(() -> metric("dbm_api_feed_subscribed").equals("1.0"));
        return api;
    }

    private static MetricsSnapshot snapshot(String id, String project, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, "name-" + id, "postgresql", "acme", project), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }

    /** What the streams-app's mirror does for a newer snapshot: the keys, then the message (one script call there). */
    private void mirror(MetricsSnapshot s) throws Exception {
        String json = ApiFixture.MAPPER.writeValueAsString(s);
        redis.setex(RedisKeys.fresh(s.databaseId()), 60, json);
        redis.setex(RedisKeys.stale(s.databaseId()), 300, json);
        redis.publish(RedisKeys.SNAPSHOTS_CHANNEL, json);
    }

    private SseReader stream(String path, String token, Map<String, String> extra) throws Exception {
        Map<String, String> headers = new HashMap<>(extra);
        headers.put("Authorization", "Bearer " + token);
        SseReader reader = SseReader.open("http://127.0.0.1:" + api.port() + path, headers);
        open.add(reader);
        return reader;
    }

    private static String streamPath(String project, String id) {
        return ApiFixture.metricsPath(project, id) + "/stream";
    }

    /** A meter's value on the management port's /metrics: the first line of {@code name} (with {@code label}). */
    private String metric(String name) throws Exception {
        return metricLine(name, "");
    }

    private static double connections(SseReader.Event e) throws Exception {
        return ApiFixture.MAPPER.readTree(e.data()).path("metrics").path("connections").asDouble();
    }

    @Test
    void shouldSendTheCurrentSnapshotThenEachNewerOneOnceInOrderThenTheRemoval() throws Exception {
        start(Map.of());
        String id = "live-" + run;
        Instant t0 = ApiFixture.now();
        mirror(snapshot(id, "shop", t0, 1));
        SseReader reader = stream(streamPath("shop", id), ApiFixture.token("u-" + run, "acme/shop"), Map.of());

        assertThat(reader.status()).isEqualTo(200);
        assertThat(reader.contentType()).startsWith("text/event-stream");
        SseReader.Event first = reader.take(1, "snapshot", WAIT).get(0);
        assertThat(first.id()).isEqualTo(Long.toString(t0.toEpochMilli()));
        JsonNode body = ApiFixture.MAPPER.readTree(first.data());
        assertThat(body.path("database_id").asText()).isEqualTo(id);
        assertThat(body.has("age_seconds")).isTrue(); // the same JSON as the metrics read

        mirror(snapshot(id, "shop", t0.plusSeconds(5), 2));
        mirror(snapshot(id, "shop", t0.plusSeconds(2), 99)); // older than what the stream sent: never sent
        mirror(snapshot(id, "shop", t0.plusSeconds(10), 3));
        List<SseReader.Event> next = reader.take(2, "snapshot", WAIT);
        assertThat(next).extracting(SseReader.Event::id).containsExactly(
                Long.toString(t0.plusSeconds(5).toEpochMilli()), Long.toString(t0.plusSeconds(10).toEpochMilli()));
        assertThat(connections(next.get(0))).isEqualTo(2);
        assertThat(connections(next.get(1))).isEqualTo(3);

        redis.publish(RedisKeys.REMOVED_CHANNEL, "{\"database_id\":\"" + id + "\",\"timestamp\":"
                + t0.plusSeconds(11).toEpochMilli() + "}");
        SseReader.Event removed = reader.take(1, "removed", WAIT).get(0);
        assertThat(ApiFixture.MAPPER.readTree(removed.data()).path("database_id").asText()).isEqualTo(id);
        assertThat(removed.id()).isEqualTo(Long.toString(t0.plusSeconds(11).toEpochMilli()));
    }

    @Test
    void shouldAnswerA503WhenTheProjectCannotBeListed() throws Exception {
        start(Map.of());
        String project = "p-" + run;
        // the listing comes from the streams-app, absent here: a project stream cannot start, a typed 503
        SseReader reader = stream("/api/v1/domain/acme/project/" + project + "/databases/stream", ApiFixture.token("u-" + run,
                "acme/" + project), Map.of());
        assertThat(reader.status()).isEqualTo(503);
        assertThat(reader.errorBody()).isEqualTo("{\"error\":\"Metrics temporarily unavailable\",\"status\":503}");
        assertThat(metric("dbm_api_streams_open")).isEqualTo("0.0");
    }

    @Test
    void shouldAnswerAnotherTenantsStreamAsNotFound() throws Exception {
        // an unknown id's 404 needs the streams-app's answer (absent here): LiveIT (e2e) compares the two
        start(Map.of());
        String id = "foreign-" + run;
        ApiFixture.seed(redis, id, "other", ApiFixture.now(), true);
        String token = ApiFixture.token("u-" + run, "acme/shop");

        SseReader foreign = stream(streamPath("shop", id), token, Map.of()); // exists, but in acme/other
        SseReader outside = stream(streamPath("other", id), token, Map.of()); // a project outside the tenants

        for (SseReader r : List.of(foreign, outside)) {
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.errorBody()).isEqualTo("{\"error\":\"Database not found\",\"status\":404}");
        }
        assertThat(metric("dbm_api_streams_open")).isEqualTo("0.0");
    }

    @Test
    void shouldRefuseStreamsPastTheUserAndInstanceLimitsWithA429() throws Exception {
        start(Map.of("API_MAX_STREAMS_PER_USER", "2", "API_MAX_STREAMS", "3", "API_STREAM_HEARTBEAT", "200ms"));
        String id = "limits-" + run;
        mirror(snapshot(id, "shop", ApiFixture.now(), 1));
        String alice = ApiFixture.token("alice-" + run, "acme/shop");
        String bob = ApiFixture.token("bob-" + run, "acme/shop");

        assertThat(stream(streamPath("shop", id), alice, Map.of()).status()).isEqualTo(200);
        assertThat(stream(streamPath("shop", id), alice, Map.of()).status()).isEqualTo(200);
        SseReader third = stream(streamPath("shop", id), alice, Map.of());
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.errorBody()).isEqualTo("{\"error\":\"Too many open streams\",\"scope\":\"user\",\"status\":429}");
        assertThat(stream(streamPath("shop", id), bob, Map.of()).status()).isEqualTo(200);
        SseReader fourth = stream(streamPath("shop", id), bob, Map.of());
        assertThat(fourth.errorBody()).contains("\"scope\":\"instance\"");
        assertThat(metric("dbm_api_streams_open")).isEqualTo("3.0");
        assertThat(metricLine("dbm_api_streams_refused_total", "scope=\"user\"")).isEqualTo("1.0");
        assertThat(metricLine("dbm_api_streams_refused_total", "scope=\"instance\"")).isEqualTo("1.0");

        open.get(0).close(); // alice's first stream ends: her place comes back, found at the next heartbeats
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(stream(streamPath("shop", id), alice, Map.of()).status()).isEqualTo(200));
    }

    @Test
    void shouldHoldNoLoadSlotWhileAStreamIsOpen() throws Exception {
        start(Map.of("API_MAX_CONCURRENT_REQUESTS", "2", "API_MAX_QUEUED_REQUESTS", "0"));
        String id = "slots-" + run;
        mirror(snapshot(id, "shop", ApiFixture.now(), 1));
        String token = ApiFixture.token("u-" + run, "acme/shop");
        for (int i = 0; i < 5; i++) {
            SseReader r = stream(streamPath("shop", id), token, Map.of());
            assertThat(r.status()).isEqualTo(200);
            r.take(1, "snapshot", WAIT);
        }

        assertThat(ApiFixture.get(api, ApiFixture.metricsPath("shop", id), token).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldDropASubscriberThatDoesNotReadWhileAnotherReceivesEveryEvent() throws Exception {
        start(Map.of("API_STREAM_BUFFER", "2000"));
        String id = "slow-" + run;
        Instant t0 = ApiFixture.now();
        mirror(snapshot(id, "shop", t0, 0));
        String token = ApiFixture.token("u-" + run, "acme/shop");
        SseReader reading = stream(streamPath("shop", id), token, Map.of());
        reading.take(1, "snapshot", WAIT);
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", api.port()));
            OutputStream out = stalled.getOutputStream();
            out.write(("GET " + streamPath("shop", id) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(WAIT).until(() -> metric("dbm_api_streams_open").equals("2.0"));

            int events = 20_000; // ~7 MB: far more than the stalled client's socket buffers and its 2,000 events
            String[] json = new String[events];
            for (int i = 0; i < events; i++) {
                json[i] = ApiFixture.MAPPER.writeValueAsString(snapshot(id, "shop", t0.plusMillis(i + 1), i + 1));
            }
            // in chunks, each sent once the reading client has the previous one: a client that reads is never more
            // than a chunk behind (its buffer holds four), however slowly this machine runs its reader thread, while
            // the stalled client falls behind by everything (one burst of all 20,000 dropped the reading client too
            // once, on a busy machine)
            int chunk = 500;
            List<SseReader.Event> got = new ArrayList<>();
            for (int from = 0; from < events; from += chunk) {
                try (AbstractPipeline p = redis.pipelined()) {
                    for (int i = from; i < from + chunk; i++) {
                        p.publish(RedisKeys.SNAPSHOTS_CHANNEL, json[i]);
                    }
                }
                got.addAll(reading.take(chunk, "snapshot", Duration.ofSeconds(60)));
            }
            for (int i = 0; i < events; i++) {
                assertThat(got.get(i).id()).isEqualTo(Long.toString(t0.toEpochMilli() + i + 1));
            }
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(metricLine("dbm_api_streams_closed_total", "reason=\"slow\"")).isEqualTo("1.0");
                assertThat(metric("dbm_api_streams_open")).isEqualTo("1.0");
            });
        }
    }

    @Test
    void shouldReplaceTheL1CopyTheMomentANewerSnapshotIsPublished() throws Exception {
        start(Map.of("METRICS_CACHE_MEMORY_TTL", "60s"));
        String id = "fresh-" + run;
        Instant t0 = ApiFixture.now();
        mirror(snapshot(id, "shop", t0, 1));
        String token = ApiFixture.token("u-" + run, "acme/shop");
        String path = ApiFixture.metricsPath("shop", id);
        assertThat(ApiFixture.get(api, path, token).headers().firstValue("X-Cache")).hasValue("L2");
        assertThat(ApiFixture.get(api, path, token).headers().firstValue("X-Cache")).hasValue("L1");

        mirror(snapshot(id, "shop", t0.plusSeconds(5), 2));

        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            HttpResponse<String> r = ApiFixture.get(api, path, token);
            assertThat(r.headers().firstValue("X-Cache")).hasValue("L1"); // no Redis read: the feed replaced it
            assertThat(ApiFixture.MAPPER.readTree(r.body()).path("timestamp").asText())
                    .isEqualTo(t0.plusSeconds(5).toString());
        });
        assertThat(Double.parseDouble(metric("dbm_api_l1_feed_replaced_total"))).isGreaterThanOrEqualTo(1);
    }

    @Test
    void shouldEndStreamsWithAShutdownEventWhenTheInstanceStops() throws Exception {
        start(Map.of());
        String id = "bye-" + run;
        mirror(snapshot(id, "shop", ApiFixture.now(), 1));
        SseReader reader = stream(streamPath("shop", id), ApiFixture.token("u-" + run, "acme/shop"), Map.of());
        reader.take(1, "snapshot", WAIT);

        api.close();

        assertThat(reader.take(1, "shutdown", WAIT)).hasSize(1);
        assertThat(reader.next(WAIT)).isEqualTo(SseReader.END);
    }

    private String metricLine(String name, String label) throws Exception {
        for (String line : ApiFixture.metricsText(api).split("\n")) {
            if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(label)) {
                return line.substring(line.lastIndexOf(' ') + 1);
            }
        }
        return "absent";
    }
}
