package com.dbmetrics.poller.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.Poller;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.testing.SnapshotTail;
import com.dbmetrics.poller.testing.LocalPrometheus;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.testing.TestServices;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two pollers of one election group against the real test stack: poller A runs as its own process (the shaded jar),
 * poller B in this JVM. A is paused (SIGSTOP, a frozen leader that still believes it leads), B takes over within the
 * session timeout and fences A's producer; A resumes (SIGCONT) and cannot commit; then A is killed. Read committed,
 * no database has two snapshots for one evaluation time, and the snapshots go on after the handover.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ElectionIT {

    private static final Duration SESSION = Duration.ofSeconds(6);
    private final String group = "it-election-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldHandOverToTheStandbyAndFenceThePausedLeaderWithoutDoubleSnapshots() throws Exception {
        String pg = require("DBM_IT_PG_DATABASE_ID");
        // a unique group and transactional id, which the poller principal's ACLs do not name: as the Kafka admin
        Map<String, String> env = new HashMap<>(TestServices.kafkaEnv(TestServices.KAFKA_ADMIN));
        env.putAll(TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER));
        env.putAll(Map.of(
                "METRICS_POLL_INTERVAL", "2s",
                "POLLER_INGESTION_DELAY", "500ms",
                "POLLER_ELECTION_GROUP", group,
                "POLLER_TRANSACTIONAL_ID", group,
                "POLLER_ELECTION_SESSION_TIMEOUT", SESSION.toSeconds() + "s"));
        int portA = LocalPrometheus.freePort();
        Process a = startProcessPoller(env, "poller-a", portA);
        try (KafkaConsumer<String, byte[]> consumer = SnapshotTail.fromEnd(true)) {
            await("A active").atMost(Duration.ofSeconds(60)).until(() -> metric(portA, "dbm_poller_active") == 1);
            env.put("POLLER_ID", "poller-b");
            try (Poller b = Poller.start(PollerConfig.fromEnv(env), Clock.systemUTC())) {
                await("B stays standby while A leads").during(Duration.ofSeconds(5))
                        .atMost(Duration.ofSeconds(10)).until(() -> !b.isActive());

                signal(a, "STOP");
                Instant paused = Instant.now();
                await("B takes over").atMost(SESSION.multipliedBy(3)).until(b::isActive);
                Duration handover = Duration.between(paused, Instant.now());
                signal(a, "CONT");
                // A wakes believing it leads: its next commit is fenced (or it learns it lost the partition first).
                await("A stands by").atMost(Duration.ofSeconds(30)).until(() -> metric(portA, "dbm_poller_active") == 0);
                a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Instant afterHandover = Instant.now();
                // each engine's snapshots are their own transaction: wait for the demo PostgreSQL's, not any engine's
                await("B produces").atMost(Duration.ofSeconds(20)).until(() -> false == collect(consumer).isEmpty()
                        && records.stream().anyMatch(r -> r.databaseId().equals(pg)
                                && r.timestamp().isAfter(afterHandover)));

                Map<String, List<Instant>> byDatabase = records.stream().collect(Collectors.groupingBy(
                        MetricsSnapshot::databaseId, Collectors.mapping(MetricsSnapshot::timestamp,
                                Collectors.toList())));
                for (Map.Entry<String, List<Instant>> e : byDatabase.entrySet()) {
                    assertThat(e.getValue()).as("evaluation times of %s", e.getKey()).doesNotHaveDuplicates();
                }
                assertThat(byDatabase.get(pg)).as("%s polled before and after the handover", pg)
                        .anyMatch(t -> t.isBefore(paused)).anyMatch(t -> t.isAfter(afterHandover));
                assertThat(handover).isLessThan(SESSION.multipliedBy(3));
            }
        } finally {
            a.destroyForcibly();
        }
    }

    private final List<MetricsSnapshot> records = new ArrayList<>();

    private List<MetricsSnapshot> collect(KafkaConsumer<String, byte[]> consumer) {
        JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            if (r.value() != null) {
                records.add(serde.deserialize(r.topic(), r.value()));
            }
        }
        return records;
    }

    private static Process startProcessPoller(Map<String, String> env, String id, int port) throws Exception {
        Path jar = Path.of("target", "dbmetrics-poller.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: the package phase builds it");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-jar", jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(new File("target", "election-it-" + id + ".log"));
        builder.environment().putAll(env);
        builder.environment().put("POLLER_ID", id);
        builder.environment().put("POLLER_MANAGEMENT_PORT", Integer.toString(port));
        return builder.start();
    }

    private static void signal(Process process, String signal) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
        assertThat(rc).as("kill -%s %d", signal, process.pid()).isZero();
    }

    private double metric(int port, String name) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(name + " ")) {
                    return Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    private static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }
}
