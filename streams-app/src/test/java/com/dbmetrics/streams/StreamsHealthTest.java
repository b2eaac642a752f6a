package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.ops.ManagementServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liveness and readiness on the management port, with a Kafka Streams client that is not started (no broker needed);
 * StreamsAppIT and FailoverIT cover a running one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamsHealthTest {

    @TempDir
    Path stateDir;

    private final HttpClient http = HttpClient.newHttpClient();
    private KafkaStreams streams;
    private ManagementServer management;

    @BeforeEach
    void setUp() {
        streams = UnstartedStreams.create("streams-health-test", stateDir);
        management = new ManagementServer(new InetSocketAddress("127.0.0.1", 0), () -> "",
                StreamsHealth.probes(streams)).start();
    }

    @AfterEach
    void tearDown() {
        management.close();
        streams.close(Duration.ofSeconds(10));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management.port() + path)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldBeAliveButNotReadyBeforeKafkaStreamsRuns() throws Exception {
        HttpResponse<String> health = get("/healthz");
        HttpResponse<String> ready = get("/readyz");

        assertThat(streams.state()).isEqualTo(KafkaStreams.State.CREATED);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).isEqualTo("not ok\n");
    }

    @Test
    void shouldFailLivenessWhenKafkaStreamsHasStopped() throws Exception {
        streams.close(Duration.ofSeconds(10));

        HttpResponse<String> health = get("/healthz");

        assertThat(streams.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
    }

    @Test
    void shouldBeReadyOnlyWhenRunningAndAliveUnlessStoppedOrFailed() {
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            assertThat(StreamsHealth.ready(state)).as("ready when %s", state)
                    .isEqualTo(state == KafkaStreams.State.RUNNING);
            assertThat(StreamsHealth.alive(state)).as("alive when %s", state).isEqualTo(!EnumSet.of(
                    KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING,
                    KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR).contains(state));
        }
    }
}
