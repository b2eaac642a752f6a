package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A project listing gathered across three streams-app processes with one standby replica each (as compose and
 * Kubernetes run them): through every instance, page by page, each database appears once, with its newest snapshot
 * (before, the standby copies were listed too: a database could appear twice, once with an older snapshot); with one
 * instance killed, the other two still list every database (before, one instance not answering made it a 503).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ListingIT {

    private static final int DATABASES = 24;
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String project = "listing-" + run;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ObjectMapper mapper = Json.newMapper();

    /** Every page of the listing through the instance on {@code port}, {@code limit} at a time; null if one failed. */
    private List<JsonNode> list(int port, int limit) throws Exception {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> page;
            try {
                page = http.send(ItServices.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/internal/v1/projects/acme/" + project + "/snapshots?limit=" + limit
                        + (cursor == null ? "" : "&cursor=" + cursor)))).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                return null; // not listening yet
            }
            if (page.statusCode() != 200) {
                return null;
            }
            JsonNode body = mapper.readTree(page.body());
            body.path("items").forEach(items::add);
            cursor = body.path("next_cursor").isTextual() ? body.path("next_cursor").asText() : null;
        } while (cursor != null);
        return items;
    }

    /**
     * The partitions whose stores the instance on {@code port} can read now (its part of a listing, as a gathering
     * instance asks for it); null if it did not answer.
     */
    private Set<Integer> readablePartitions(int port) throws Exception {
        HttpResponse<String> part;
        try {
            part = http.send(ItServices.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/internal/v1/projects/acme/" + project + "/snapshots?limit=1&local=true")))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
        if (part.statusCode() != 200) {
            return null;
        }
        Set<Integer> partitions = new TreeSet<>();
        mapper.readTree(part.body()).path("partitions").forEach(p -> partitions.add(p.asInt()));
        return partitions;
    }

    @Test
    void shouldListEachDatabaseOnceWithItsNewestSnapshotThroughEveryInstance() throws Exception {
        assertThat(ItServices.JAR).as("the streams-app jar is built before the integration tests (package phase)")
                .exists();
        int[] ports = new int[3];
        List<Process> instances = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(ItServices.producerProperties())) {
            for (int i = 0; i < ports.length; i++) {
                ports[i] = ItServices.freePort();
                instances.add(ItServices.startProcess("listing-" + run,
                        Files.createTempDirectory("listing-" + i).toFile(), ports[i], ItServices.freePort(), 1));
            }
            JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
            Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            // two snapshots per database: the second (newer) one is what every listing must show
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < DATABASES; i++) {
                    String id = "ls-" + run + "-" + (char) ('a' + i);
                    Instant at = t.plusSeconds(5L * round);
                    MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, id, "redis", "acme", project), at, 5,
                            Map.of(Metric.CONNECTIONS, (double) (100 * round + i)));
                    producer.send(new ProducerRecord<>(Topics.SNAPSHOTS, null, at.toEpochMilli(), id,
                            serde.serialize(Topics.SNAPSHOTS, s))).get();
                }
            }

            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (int port : ports) {
                    for (int limit : new int[] {1000, 5}) {
                        List<JsonNode> items = list(port, limit);
                        assertThat(items).as("listing through %d, %d a page", port, limit).isNotNull();
                        assertThat(items).extracting(n -> n.path("database_id").asText())
                                .as("each database once, through %d, %d a page", port, limit)
                                .doesNotHaveDuplicates().hasSize(DATABASES);
                        assertThat(items).allSatisfy(n -> assertThat(n.path("metrics").path("connections").asInt())
                                .as("newest snapshot of %s", n.path("database_id").asText())
                                .isGreaterThanOrEqualTo(100));
                    }
                }
            });

            // one instance down (kill -9, as in a crash or the middle of a rolling restart, before the group notices):
            // the other two hold standby copies of its partitions, so their listings stay complete. Those copies are
            // readable once their standby tasks have started: wait for that first (a kill before it made the listing
            // an honest 503 in one full run: a partition no instance could read)
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                Set<Integer> all = new TreeSet<>();
                Set<Integer> survivors = new TreeSet<>();
                for (int i = 0; i < ports.length; i++) {
                    Set<Integer> readable = readablePartitions(ports[i]);
                    assertThat(readable).as("the partitions readable through %d", ports[i]).isNotNull();
                    all.addAll(readable);
                    if (i > 0) {
                        survivors.addAll(readable);
                    }
                }
                assertThat(survivors).as("partitions the two survivors can read").containsAll(all);
            });
            instances.get(0).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            for (int port : new int[] {ports[1], ports[2]}) {
                List<JsonNode> items = list(port, 5);
                assertThat(items).as("listing through %d with an instance down", port).isNotNull();
                assertThat(items).extracting(n -> n.path("database_id").asText()).doesNotHaveDuplicates()
                        .hasSize(DATABASES);
            }
        } finally {
            instances.forEach(Process::destroyForcibly);
        }
    }
}
