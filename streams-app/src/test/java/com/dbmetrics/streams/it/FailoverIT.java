package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
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
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two streams-app processes (the built jar, one standby replica each) against the real broker and Redis: every key is
 * answerable through either instance; after {@code kill -9} of one, every key is answerable through the other again
 * (from its standby copy at once, then from its own active store), and the time that took is printed. Both are ready
 * ({@code /readyz}) once running; the instances' /metrics count the forwarded and standby answers.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FailoverIT {

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    /** Each instance's management port, by its interactive-query port. */
    private final Map<Integer, Integer> managementPorts = new java.util.HashMap<>();

    private Process start(String name, int iqPort, int managementPort) throws Exception {
        // a unique application id, which the streams principal's ACLs do not name: Kafka as the admin
        return ItServices.startProcess("failover-" + run, Files.createTempDirectory("failover-" + name).toFile(),
                iqPort, managementPort, 1);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(ItServices.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)))
                .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Requests counted on the /metrics of the instance whose interactive-query port is {@code port}. */
    private double requests(int port, String outcome) throws Exception {
        return StreamsAppIT.sample(get(managementPorts.get(port), "/metrics").body(),
                "dbm_streams_iq_requests_total{outcome=\"" + outcome + "\",query=\"snapshot\"}");
    }

    private int status(int port, String id) {
        return ItServices.snapshotStatus(http, port, id);
    }

    @Test
    void shouldAnswerEveryKeyThroughEitherInstanceAndAgainAfterKillNine() throws Exception {
        assertThat(ItServices.JAR).as("the streams-app jar is built before the integration tests (package phase)")
                .exists();
        int portA = ItServices.freePort();
        int portB = ItServices.freePort();
        managementPorts.put(portA, ItServices.freePort());
        managementPorts.put(portB, ItServices.freePort());
        Process a = start("a", portA, managementPorts.get(portA));
        Process b = start("b", portB, managementPorts.get(portB));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(ItServices.producerProperties())) {
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

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(get(managementPorts.get(portA), "/readyz").statusCode()).as("A ready").isEqualTo(200);
                assertThat(get(managementPorts.get(portB), "/readyz").statusCode()).as("B ready").isEqualTo(200);
            });
            // every request is counted once by the instance asked; a key owned by the other instance is forwarded
            double forwardedByB = requests(portB, "forwarded");
            for (int port : new int[] {portA, portB}) {
                double counted = 0;
                for (String outcome : List.of("local", "standby", "forwarded", "not_found", "unavailable")) {
                    counted += requests(port, outcome);
                }
                assertThat(counted).as("snapshot requests counted on port %s", port).isGreaterThanOrEqualTo(ids.size());
            }
            assertThat(requests(portA, "forwarded") + forwardedByB).as("forwarded by A and B").isPositive();
            assertThat(requests(portA, "local") + requests(portB, "local")).as("answered locally").isPositive();
            double standbyBefore = requests(portB, "standby");

            a.destroyForcibly(); // SIGKILL: no clean shutdown, no leave-group
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                for (String id : ids) {
                    assertThat(status(portB, id)).as("%s via B after kill -9 of A", id).isEqualTo(200);
                }
            });
            long answeredAfterMs = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("FailoverIT: every key answerable through B %d ms after kill -9 of A%n", answeredAfterMs);
            if (forwardedByB > 0 && answeredAfterMs < 10_000) {
                // A owned keys, and B answered them before its group noticed A's death: from its standby copies
                assertThat(requests(portB, "standby")).as("standby answers on B").isGreaterThan(standbyBefore);
            }

            // B stays ready: it keeps running its own tasks; A's move to it only once the group drops A (its session
            // times out), when B restores their tail from its standby copies
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> get(managementPorts.get(portB), "/readyz").statusCode() == 200);
            String metrics = get(managementPorts.get(portB), "/metrics").body();
            assertThat(StreamsAppIT.sample(metrics, "dbm_streams_restoring_partitions")).isZero();
            assertThat(StreamsAppIT.sample(metrics, "dbm_streams_restore_remaining_records")).isZero();
            assertThat(StreamsAppIT.sample(metrics, "dbm_streams_restored_records_total")).isNotNegative();
            for (String id : ids) {
                assertThat(status(portB, id)).as("%s via B", id).isEqualTo(200);
            }
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
            a.waitFor(10, TimeUnit.SECONDS);
            b.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
