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
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two streams-app processes (the built jar, one standby replica each) against the real broker and Redis: every key is
 * answerable through either instance; after {@code kill -9} of one, every key is answerable through the other again
 * (from its standby copy at once, then from its own active store), and the time that took is printed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FailoverIT {

    private static final File JAR = new File("target/dbmetrics-streams-app.jar");
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process start(String name, int iqPort) throws Exception {
        File dir = Files.createTempDirectory("failover-" + name).toFile();
        ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-jar", JAR.getAbsolutePath())
                .redirectErrorStream(true).redirectOutput(new File(dir, "streams.log"));
        pb.environment().putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", StreamsAppIT.env("DBM_IT_KAFKA_BOOTSTRAP"),
                "REDIS_URL", StreamsAppIT.env("DBM_IT_REDIS_URL"),
                "STREAMS_APPLICATION_ID", "failover-" + run,
                "STREAMS_APPLICATION_SERVER", "127.0.0.1:" + iqPort,
                "STREAMS_STATE_DIR", dir.getPath(),
                "STREAMS_NUM_STANDBY_REPLICAS", "1"));
        return pb.start();
    }

    private int status(int port, String id) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/internal/v1/snapshots/"
                    + id)).timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void shouldAnswerEveryKeyThroughEitherInstanceAndAgainAfterKillNine() throws Exception {
        assertThat(JAR).as("the streams-app jar is built before the integration tests (package phase)").exists();
        int portA = freePort();
        int portB = freePort();
        Process a = start("a", portA);
        Process b = start("b", portB);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, StreamsAppIT.env("DBM_IT_KAFKA_BOOTSTRAP"),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
            List<String> ids = new ArrayList<>();
            Instant t = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            for (int i = 0; i < 40; i++) {
                String id = "fo-" + run + "-" + i;
                ids.add(id);
                MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, id, "redis", "acme", "failover"), t, 5,
                        Map.of(Metric.CONNECTIONS, (double) i));
                producer.send(new ProducerRecord<>(Topics.SNAPSHOTS, null, t.toEpochMilli(), id,
                        serde.serialize(Topics.SNAPSHOTS, s))).get();
            }

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (String id : ids) {
                    assertThat(status(portA, id)).as("%s via A", id).isEqualTo(200);
                    assertThat(status(portB, id)).as("%s via B", id).isEqualTo(200);
                }
            });

            a.destroyForcibly(); // SIGKILL: no clean shutdown, no leave-group
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                for (String id : ids) {
                    assertThat(status(portB, id)).as("%s via B after kill -9 of A", id).isEqualTo(200);
                }
            });
            long answeredAfterMs = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("FailoverIT: every key answerable through B %d ms after kill -9 of A%n", answeredAfterMs);
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
            a.waitFor(10, TimeUnit.SECONDS);
            b.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
