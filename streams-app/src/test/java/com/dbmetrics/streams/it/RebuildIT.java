package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rebuilding the view from the history topic (docs/operations.md, replay): a streams-app with an empty state directory and a new
 * application id reads dbmetrics.snapshots.v1 from the beginning, including replayed older snapshots out of order, and
 * ends with the same latest snapshot per database as the instance it replaces.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RebuildIT {

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("rebuild-snapshots-" + run,
            "rebuild-latest-" + run, "rebuild-status-" + run, "rebuild-dlq-" + run);
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
    private final HttpClient http = HttpClient.newHttpClient();

    private StreamsApp start(String applicationId, int port) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.putAll(ItServices.appEnv(TestServices.KAFKA_ADMIN)); // unique topics and application id
        env.put("STREAMS_APPLICATION_ID", applicationId);
        env.put("STREAMS_APPLICATION_SERVER", "127.0.0.1:" + port);
        env.put("STREAMS_MANAGEMENT_PORT", "0");
        env.put("STREAMS_STATE_DIR", Files.createTempDirectory("rebuild-state").toString());
        return StreamsApp.start(StreamsAppConfig.fromEnv(env), topics);
    }

    private MetricsSnapshot read(int port, String id) throws Exception {
        HttpResponse<String> r = http.send(ItServices.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + port + "/internal/v1/snapshots/" + id))).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? serde.parse(r.body().getBytes(StandardCharsets.UTF_8)) : null;
    }

    @Test
    void shouldRebuildTheSameLatestViewFromHistory() throws Exception {
        try (Admin admin = Admin.create(TestServices.kafkaProperties(TestServices.KAFKA_ADMIN))) {
            admin.createTopics(List.of(new NewTopic(topics.snapshots(), 3, (short) 1),
                    new NewTopic(topics.latest(), 3, (short) 1), new NewTopic(topics.pollerStatus(), 1, (short) 1),
                    new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get();
        }
        Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(ItServices.producerProperties())) {
            // per database: t+10, then t (a replayed older one), then t+5: the latest is always t+10
            for (int round : new int[] {10, 0, 5}) {
                for (int i = 0; i < 20; i++) {
                    String id = "rb-" + run + "-" + i;
                    MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, id, "redis", "acme", "rebuild"),
                            t0.plusSeconds(round), 5, Map.of(Metric.CONNECTIONS, (double) round * 100 + i));
                    producer.send(new ProducerRecord<>(topics.snapshots(), null, s.timestamp().toEpochMilli(), id,
                            serde.serialize(topics.snapshots(), s))).get();
                }
            }
        }
        Map<String, MetricsSnapshot> before = new HashMap<>();
        int firstPort = freePort();
        try (StreamsApp first = start("rebuild-a-" + run, firstPort)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (int i = 0; i < 20; i++) {
                    MetricsSnapshot s = read(firstPort, "rb-" + run + "-" + i);
                    assertThat(s).isNotNull();
                    assertThat(s.timestamp()).isEqualTo(t0.plusSeconds(10));
                    before.put(s.databaseId(), s);
                }
            });
        }
        int secondPort = freePort();
        try (StreamsApp rebuilt = start("rebuild-b-" + run, secondPort)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (MetricsSnapshot expected : before.values()) {
                    assertThat(read(secondPort, expected.databaseId())).isEqualTo(expected);
                }
            });
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
