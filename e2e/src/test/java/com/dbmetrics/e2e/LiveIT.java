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
import com.dbmetrics.schemas.testing.SseReader;
import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * History and live streams through the real pipeline: snapshots produced to Kafka, the streams-app's history store and
 * mirror (which publishes the live feed on Redis), the query API's history read and streams, read by a plain
 * server-sent-events client. The streams-app is restarted on its state directory mid-class: the history survives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LiveIT {

    private static final String SECRET = "live-it-secret-0123456789abcdef-xyz0";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String project = "live-" + run;
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("live-snapshots-" + run,
            "live-latest-" + run, "live-status-" + run, "live-dlq-" + run);
    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<SseReader> readers = new ArrayList<>();
    private Map<String, String> streamsEnv;
    private StreamsApp streams;
    private QueryApi api;
    private KafkaProducer<String, byte[]> producer;

    @BeforeAll
    void start() throws Exception {
        TestStack.createTopics(topics);
        int iqPort = TestStack.freePort();
        streamsEnv = TestStack.streamsEnv("live-" + run, iqPort);
        streams = StreamsApp.start(StreamsAppConfig.fromEnv(streamsEnv), topics);
        Map<String, String> env = TestStack.apiEnv(iqPort, SECRET);
        env.put("METRICS_CACHE_MEMORY_TTL", "1s");
        env.put("METRICS_RATE_LIMIT_PER_USER", "100000");
        env.put("METRICS_RATE_LIMIT_PER_DB", "100000");
        api = QueryApi.start(ApiConfig.fromEnv(env), java.time.Clock.systemUTC());
        producer = TestStack.adminProducer();
    }

    @AfterAll
    void stop() {
        readers.forEach(SseReader::close);
        for (AutoCloseable c : new AutoCloseable[] {producer, api, streams}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private MetricsSnapshot produce(String id, Instant t, double connections) throws Exception {
        return produce(project, id, t, connections);
    }

    private MetricsSnapshot produce(String inProject, String id, Instant t, double connections) throws Exception {
        MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, "name-" + id, "postgresql", "acme", inProject), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
        producer.send(new ProducerRecord<>(topics.snapshots(), null, t.toEpochMilli(), id,
                JsonSerde.snapshots(mapper).serialize(topics.snapshots(), s))).get();
        return s;
    }

    private void tombstone(String id, Instant t) throws Exception {
        producer.send(new ProducerRecord<String, byte[]>(topics.snapshots(), null, t.toEpochMilli(), id, (byte[]) null)).get();
    }

    private String token(String tenant) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("live")
                .claim("tenants", List.of(tenant)).expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private HttpResponse<String> get(String path, String tenant) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .header("Authorization", "Bearer " + token(tenant)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private SseReader stream(String path, String lastEventId) throws Exception {
        return stream(path, lastEventId, project);
    }

    private SseReader stream(String path, String lastEventId, String inProject) throws Exception {
        Map<String, String> headers = new HashMap<>(Map.of("Authorization", "Bearer " + token("acme/" + inProject)));
        if (lastEventId != null) {
            headers.put("Last-Event-ID", lastEventId);
        }
        SseReader reader = SseReader.open("http://127.0.0.1:" + api.port() + path, headers);
        readers.add(reader);
        return reader;
    }

    private String base() {
        return "/api/v1/domain/acme/project/" + project + "/databases";
    }

    private List<String> historyTimes(String id) throws Exception {
        HttpResponse<String> r = get(base() + "/" + id + "/metrics/history", "acme/" + project);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> times = new ArrayList<>();
        for (JsonNode p : mapper.readTree(r.body()).path("points")) {
            times.add(p.path("timestamp").asText());
        }
        return times;
    }

    @Test
    void shouldKeepAHistoryPointForEverySnapshotAlsoAfterAStreamsAppRestart() throws Exception {
        String id = "hist-" + run;
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            produce(id, t0.plusSeconds(5L * i), i);
            expected.add(t0.plusSeconds(5L * i).toString());
        }
        produce(id, t0.plusSeconds(12), 99); // a backfilled point between two others: history too
        expected.add(3, t0.plusSeconds(12).toString());
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> assertThat(historyTimes(id)).containsExactlyElementsOf(expected));

        // range, fields, tenant
        HttpResponse<String> ranged = get(base() + "/" + id + "/metrics/history?from=" + t0.plusSeconds(10)
                + "&to=" + (t0.plusSeconds(20).getEpochSecond()) + "&fields=connections", "acme/" + project);
        JsonNode points = mapper.readTree(ranged.body()).path("points");
        assertThat(points).hasSize(4); // 10, 12, 15, 20
        assertThat(points.get(1).path("metrics").path("connections").asDouble()).isEqualTo(99);
        assertThat(points.get(0).path("metrics").size()).isEqualTo(1);
        HttpResponse<String> foreign = get("/api/v1/domain/acme/project/other/databases/" + id + "/metrics/history",
                "acme/other");
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(foreign.body()).isEqualTo("{\"error\":\"Database not found\",\"status\":404}");
        assertThat(get(base() + "/" + id + "/metrics/history?from=tomorrow", "acme/" + project).statusCode())
                .isEqualTo(400);

        streams.close();
        streams = StreamsApp.start(StreamsAppConfig.fromEnv(streamsEnv), topics);
        produce(id, t0.plusSeconds(100), 20);
        expected.add(t0.plusSeconds(100).toString());
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> assertThat(historyTimes(id)).containsExactlyElementsOf(expected));
    }

    @Test
    void shouldAnswerAnotherTenantsStreamByteForByteAsAnUnknownDatabase() throws Exception {
        String elsewhere = "elsewhere-" + run;
        produce(project + "-other", elsewhere, Instant.now().truncatedTo(ChronoUnit.SECONDS), 1);
        await().atMost(WAIT).ignoreExceptions().until(() -> get("/api/v1/domain/acme/project/" + project
                + "-other/databases/" + elsewhere + "/metrics", "acme/" + project + "-other").statusCode() == 200);

        SseReader foreign = stream(base() + "/" + elsewhere + "/metrics/stream", null);
        // an unknown id's answer comes from the streams-app: while it rebalances (another test restarts it) that is
        // the contract's typed 503; wait for the definite answer
        SseReader[] unknownAnswer = new SseReader[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            unknownAnswer[0] = stream(base() + "/nothing-" + run + "/metrics/stream", null);
            return unknownAnswer[0].status() != 503;
        });
        SseReader unknown = unknownAnswer[0];

        assertThat(foreign.status()).isEqualTo(404);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(foreign.errorBody()).isEqualTo(unknown.errorBody())
                .isEqualTo("{\"error\":\"Database not found\",\"status\":404}");
    }

    @Test
    void shouldResumeAStreamWithLastEventIdLosingNothingAndRepeatingNothing() throws Exception {
        String id = "resume-" + run;
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(300);
        produce(id, t0, 0);
        String path = base() + "/" + id + "/metrics/stream";
        SseReader first = null;
        List<SseReader.Event> seen = new ArrayList<>();
        // the first snapshot may take a moment to reach Redis or the store: until then the stream is a 404
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (first == null && System.nanoTime() < deadline) {
            SseReader r = stream(path, null);
            if (r.status() == 200) {
                first = r;
            } else {
                r.close();
                Thread.sleep(300);
            }
        }
        assertThat(first).isNotNull();
        seen.addAll(first.take(1, "snapshot", WAIT));
        produce(id, t0.plusSeconds(5), 1);
        seen.addAll(first.take(1, "snapshot", WAIT));
        first.close();

        for (int i = 2; i <= 6; i++) { // while the client is away
            produce(id, t0.plusSeconds(5L * i), i);
        }
        await().atMost(WAIT).ignoreExceptions().until(() -> historyTimes(id).size() == 7);
        SseReader resumed = stream(path, seen.get(seen.size() - 1).id());
        seen.addAll(resumed.take(5, "snapshot", WAIT));
        produce(id, t0.plusSeconds(35), 7);
        seen.addAll(resumed.take(1, "snapshot", WAIT));

        List<Long> ids = seen.stream().map(e -> Long.parseLong(e.id())).toList();
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i <= 7; i++) {
            expected.add(t0.plusSeconds(5L * i).toEpochMilli());
        }
        assertThat(ids).containsExactlyElementsOf(expected);
        for (int i = 0; i < seen.size(); i++) {
            assertThat(mapper.readTree(seen.get(i).data()).path("metrics").path("connections").asDouble())
                    .isEqualTo(i);
        }
        assertThat(resumed.next(Duration.ofSeconds(1))).as("nothing more").isNull();
    }

    @Test
    void shouldStreamTheProjectWithAddedAndRemovedDatabases() throws Exception {
        String own = project + "-p"; // a project of its own: the listing holds only this test's databases
        String list = "/api/v1/domain/acme/project/" + own + "/databases";
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(200);
        String a = "proj-a-" + run;
        String b = "proj-b-" + run;
        produce(own, a, t0, 1);
        await().atMost(WAIT).ignoreExceptions().until(() -> get(list, "acme/" + own).body().contains(a));
        SseReader reader = stream(list + "/stream?fields=connections", null, own);
        assertThat(reader.status()).isEqualTo(200);
        SseReader.Event first = reader.take(1, "snapshot", WAIT).get(0);
        assertThat(mapper.readTree(first.data()).path("database_id").asText()).isEqualTo(a);

        produce(own, b, t0.plusSeconds(5), 2); // a database that did not exist when the stream opened
        SseReader.Event added = reader.take(1, "snapshot", WAIT).get(0);
        JsonNode body = mapper.readTree(added.data());
        assertThat(body.path("database_id").asText()).isEqualTo(b);
        assertThat(body.path("metrics").size()).isEqualTo(1);

        tombstone(a, t0.plusSeconds(6));
        SseReader.Event removed = reader.take(1, "removed", WAIT).get(0);
        assertThat(mapper.readTree(removed.data()).path("database_id").asText()).isEqualTo(a);
    }
}
