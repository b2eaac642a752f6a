package com.dbmetrics.streams.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.streams.UnstartedStreams;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
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
 * 503s, the request counters, and nothing but {@code /internal/v1/...} on its port. StreamsAppIT and FailoverIT cover a
 * running one; StreamsHealthTest the probes, which live on the management port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IqServerTest {

    @TempDir
    Path stateDir;

    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final IqCounters counters = new IqCounters();
    private KafkaStreams streams;
    private IqServer server;

    @BeforeEach
    void setUp() {
        streams = UnstartedStreams.create("iq-server-test", stateDir);
        server = new IqServer(new SnapshotQueries(streams, new HostInfo("127.0.0.1", 7070)), counters, mapper,
                "127.0.0.1", 0).start();
    }

    @AfterEach
    void tearDown() {
        server.close();
        streams.close(Duration.ofSeconds(10));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
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
        get("/internal/v1/snapshots/.invalid"); // a 400 is not an interactive query: not counted

        for (HttpResponse<String> response : java.util.List.of(snapshot, project, status)) {
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
