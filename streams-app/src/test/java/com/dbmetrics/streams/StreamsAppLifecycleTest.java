package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.time.MutableClock;
import com.dbmetrics.streams.query.IqServer;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One lifecycle: building starts nothing, {@link StreamsApp#start()} starts every thread and port, and
 * {@link StreamsApp#close()} stops every one of them. Kafka and Redis are unreachable: nothing here needs them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamsAppLifecycleTest {

    /** Threads the app itself starts (Kafka Streams' own are named after the application id). */
    private static final List<String> OWN_THREADS = List.of("redis-mirror", "redis-resync");
    /** The refresh of the Kafka Streams client's meters (Micrometer's KafkaStreamsMetrics). */
    private static final String METRICS_REFRESH = "micrometer-kafka-metrics";

    @TempDir
    Path stateDir;

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<String> running(String applicationId) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> OWN_THREADS.contains(name) || name.startsWith(applicationId)
                        || name.startsWith(METRICS_REFRESH)).sorted().toList();
    }

    private Map<String, String> env(String applicationId) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put(StreamsAppConfig.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:" + closedPort());
        env.put(StreamsAppConfig.REDIS_URL, "redis://127.0.0.1:" + closedPort());
        env.put(StreamsAppConfig.STREAMS_APPLICATION_ID, applicationId);
        env.put(StreamsAppConfig.STREAMS_APPLICATION_SERVER, "127.0.0.1:" + closedPort());
        env.put(StreamsAppConfig.STREAMS_MANAGEMENT_PORT, "0");
        env.put(StreamsAppConfig.STREAMS_STATE_DIR, stateDir.toString());
        env.put(StreamsAppConfig.STREAMS_PROCESSING_GUARANTEE, "at_least_once");
        env.put(IqServer.STREAMS_IQ_TOKEN, "lifecycle-token-0123456789abcdef0123");
        return env;
    }

    @Test
    void shouldStopEveryThreadItStartedOnCloseIncludingTheResyncThread() throws Exception {
        String applicationId = "lifecycle-" + System.identityHashCode(this);
        StreamsApp app = StreamsApp.create(StreamsAppConfig.fromEnv(env(applicationId)),
                MetricsTopology.TopicNames.DEFAULT, new MutableClock());
        assertThat(running(applicationId)).as("threads after building").isEmpty();

        app.start();
        assertThat(running(applicationId)).as("threads after start").contains(OWN_THREADS.toArray(String[]::new))
                .anyMatch(name -> name.startsWith(applicationId)).anyMatch(name -> name.startsWith(METRICS_REFRESH));

        app.close();
        // Kafka Streams' CloseThread reports NOT_RUNNING (which close() waits for) a moment before it ends
        await().atMost(java.time.Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(running(applicationId)).as("threads after close").isEmpty());
        app.close(); // a second close (a shutdown hook after a failed start) does nothing
    }

    @Test
    void shouldStopWhatItStartedWhenTheManagementPortIsTaken() throws Exception {
        String applicationId = "lifecycle-taken-" + System.identityHashCode(this);
        try (ServerSocket taken = new ServerSocket(0)) {
            Map<String, String> env = env(applicationId);
            env.put(StreamsAppConfig.STREAMS_MANAGEMENT_PORT, Integer.toString(taken.getLocalPort()));
            StreamsApp app = StreamsApp.create(StreamsAppConfig.fromEnv(env), MetricsTopology.TopicNames.DEFAULT,
                    new MutableClock());

            assertThatThrownBy(app::start).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining(Integer.toString(taken.getLocalPort()));
            await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(running(applicationId)).as("threads after a failed start").isEmpty());
            app.close();
        }
    }
}
