package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.InternalToken;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.streams.UnstartedStreams;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive-query server over HTTP, with a Kafka Streams client that is not started (no broker needed): typed
 * 503s, the request counters, nothing but {@code /internal/v1/...} on its port, and nothing at all without the token. StreamsAppIT and FailoverIT cover a
 * running one; StreamsHealthTest the probes, which live on the management port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IqServerTest {

    @TempDir
    Path stateDir;

    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final IqCounters counters = new IqCounters();
    private static final String TOKEN = "iq-server-test-token-0123456789abcdef";
    private KafkaStreams streams;
    private IqServer server;

    @BeforeEach
    void setUp() {
        streams = UnstartedStreams.create("iq-server-test", stateDir);
        SnapshotQueries queries = new SnapshotQueries(streams, new HostInfo("127.0.0.1", 7070), Topics.SNAPSHOTS);
        server = new IqServer(queries, counters, mapper,
                InternalToken.of(Secret.of(TOKEN, "test")), "127.0.0.1", 0).start();
    }

    @AfterEach
    void tearDown() {
        server.close();
        streams.close(Duration.ofSeconds(10));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return get(path, "Bearer " + TOKEN);
    }

    /** {@code authorization} null: no Authorization header. */
    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswer401AndNothingElseWithoutTheRightTokenAndCountIt() throws Exception {
        List<String> refused = new java.util.ArrayList<>();
        for (String authorization : java.util.Arrays.asList(null, "Bearer wrong-token-0123456789abcdef0123456789",
                "Bearer " + TOKEN + "x", TOKEN, "Basic " + TOKEN, "bearer " + TOKEN, "Bearer")) {
            for (String path : List.of("/internal/v1/snapshots/db-1", "/internal/v1/snapshots/db-1/history",
                    "/internal/v1/projects/acme/shop/snapshots",
                    "/internal/v1/poller-status", "/internal/v1/unknown", "/healthz")) {
                HttpResponse<String> response = get(path, authorization);

                assertThat(response.statusCode()).as("%s with %s", path, authorization).isEqualTo(401);
                assertThat(response.body()).isEqualTo("{\"error\":\"Unauthorized\",\"status\":401}");
                assertThat(response.headers().firstValue("Retry-After")).isEmpty();
                assertThat(response.headers().firstValue(IqServer.STORE_LAG_HEADER)).isEmpty();
                refused.add(path);
            }
        }

        for (IqCounters.Query query : IqCounters.Query.values()) {
            for (IqCounters.Outcome outcome : IqCounters.Outcome.values()) {
                assertThat(counters.sum(query, outcome)).as("%s %s", query, outcome)
                        .isEqualTo(outcome == IqCounters.Outcome.UNAUTHORIZED ? 7 : 0);
            }
        }
        assertThat(counters.unauthorizedOther()).isEqualTo(14);
    }

    @Test
    void shouldServeTheRightToken() throws Exception {
        HttpResponse<String> response = get("/internal/v1/snapshots/db-1", "Bearer " + TOKEN);

        assertThat(response.statusCode()).as("past the check: the stores' own 503").isEqualTo(503);
        assertThat(counters.sum(IqCounters.Query.SNAPSHOT, IqCounters.Outcome.UNAUTHORIZED)).isZero();
    }

    @Test
    void shouldServeNeitherProbesNorMetricsOnTheInteractiveQueryPort() throws Exception {
        for (String path : java.util.List.of("/healthz", "/readyz", "/metrics")) {
            HttpResponse<String> response = get(path);

            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(mapper.readTree(response.body()).path("error").asText()).isEqualTo("Not found");
        }
    }

    @Test
    void shouldAnswerATyped503AndCountItAsUnavailableWhenStoresCannotAnswer() throws Exception {
        HttpResponse<String> snapshot = get("/internal/v1/snapshots/db-1");
        HttpResponse<String> project = get("/internal/v1/projects/acme/shop/snapshots");
        HttpResponse<String> status = get("/internal/v1/poller-status");
        HttpResponse<String> history = get("/internal/v1/snapshots/db-1/history?from=0&to=10");
        get("/internal/v1/snapshots/.invalid"); // a 400 is not an interactive query: not counted
        get("/internal/v1/snapshots/db-1/history?from=10&to=0");

        for (HttpResponse<String> response : java.util.List.of(snapshot, project, status, history)) {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(response.body()).doesNotContain("Exception");
        }
        for (IqCounters.Query query : IqCounters.Query.values()) {
            for (IqCounters.Outcome outcome : IqCounters.Outcome.values()) {
                assertThat(counters.sum(query, outcome)).as("%s %s", query, outcome)
                        .isEqualTo(outcome == IqCounters.Outcome.UNAVAILABLE ? 1 : 0);
            }
        }
    }
}
