package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import java.io.File;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A clean restart of the only streams-app instance (SIGTERM, then the same jar on the same state directory), as a
 * deploy does it. Kafka Streams' default close keeps the member in its group until the session times out (45 s), and
 * the restarted instance's join waited for that: every answer was stale for about 40 s. The app now leaves the group
 * when it closes, so the restarted instance answers again within seconds.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RestartIT {

    /** Well below the consumer's default session timeout (45 s), which the restart used to wait for. */
    private static final Duration RESTARTED_WITHIN = Duration.ofSeconds(25);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private Process start(File stateDir, int iqPort, int managementPort) throws Exception {
        return ItServices.startProcess("restart-" + run, stateDir, iqPort, managementPort, 0);
    }

    private int status(int port, String id) {
        return ItServices.snapshotStatus(http, port, id);
    }

    @Test
    void shouldAnswerAgainWithinSecondsAfterACleanRestart() throws Exception {
        assertThat(ItServices.JAR).as("the streams-app jar is built before the integration tests (package phase)")
                .exists();
        File stateDir = Files.createTempDirectory("restart-" + run).toFile();
        int iqPort = ItServices.freePort();
        int managementPort = ItServices.freePort();
        List<String> ids = new ArrayList<>();
        Process first = start(stateDir, iqPort, managementPort);
        Process second = null;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(ItServices.producerProperties())) {
            JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
            Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            for (int i = 0; i < 12; i++) {
                String id = "rs-" + run + "-" + i;
                ids.add(id);
                MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, id, "redis", "acme", "restart"), t, 5,
                        Map.of(Metric.CONNECTIONS, (double) i));
                producer.send(new ProducerRecord<>(Topics.SNAPSHOTS, null, t.toEpochMilli(), id,
                        serde.serialize(Topics.SNAPSHOTS, s))).get();
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                for (String id : ids) {
                    assertThat(status(iqPort, id)).as("%s before the restart", id).isEqualTo(200);
                }
            });

            first.destroy(); // SIGTERM: the shutdown hook closes the app cleanly
            assertThat(first.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
            long stopped = System.nanoTime();
            second = start(stateDir, iqPort, managementPort);

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                for (String id : ids) {
                    assertThat(status(iqPort, id)).as("%s after the restart", id).isEqualTo(200);
                }
            });
            Duration took = Duration.ofNanos(System.nanoTime() - stopped);
            System.out.printf("RestartIT: every key answerable %d ms after the old instance stopped%n",
                    took.toMillis());
            assertThat(took).isLessThan(RESTARTED_WITHIN);
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
                second.destroyForcibly();
            }
        }
    }
}
