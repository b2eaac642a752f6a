package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.Poller;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.backfill.BackfillCommand;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import com.dbmetrics.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;
import com.dbmetrics.schemas.testing.TestServices;

/**
 * A backfill of the last minute, produced to the same topic while the latest snapshot of the demo PostgreSQL is in
 * the streams-app and Redis, leaves the latest view untouched: downstream keeps the greatest event time.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BackfillLatestIT {

    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldLeaveTheLatestViewUntouchedByABackfill() throws Exception {
        String pg = TestStack.postgresDatabaseId();
        int iqPort = TestStack.freePort();
        // the poller (and its backfill) on the contract topics as itself; the streams-app's unique id as admin
        Map<String, String> env = new HashMap<>(TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER));
        env.putAll(TestServices.kafkaEnv(TestServices.KAFKA_POLLER));
        env.put("METRICS_POLL_INTERVAL", "5s");
        env.put("POLLER_INGESTION_DELAY", "1s");
        env.put("POLLER_ID", "backfill-latest-it");
        Map<String, String> streamsEnv = TestStack.streamsEnv("dbm-backfill-it-" + UUID.randomUUID(), iqPort);
        try (StreamsApp streams = StreamsApp.start(StreamsAppConfig.fromEnv(streamsEnv),
                MetricsTopology.TopicNames.DEFAULT);
                JedisPooled redis = TestServices.redis(TestServices.REDIS_API)) {
            Instant latest;
            try (Poller poller = Poller.start(PollerConfig.fromEnv(env), Clock.systemUTC())) {
                Instant started = Instant.now();
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                        iqTimestamp(iqPort, pg) != null && iqTimestamp(iqPort, pg).isAfter(started));
            }
            // The poller is stopped: whatever it committed last is now the latest, in the store and in Redis.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).during(Duration.ofSeconds(3))
                    .until(() -> iqTimestamp(iqPort, pg) != null && iqTimestamp(iqPort, pg)
                            .equals(redisTimestamp(redis, pg)));
            latest = iqTimestamp(iqPort, pg);

            Map<String, Object> consumerConfig = TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR);
            consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig);
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.SNAPSHOTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            int status = BackfillCommand.run(new String[] {"backfill", "--from", latest.minusSeconds(60).toString(),
                    "--to", latest.minusSeconds(5).toString(), "--database", pg}, PollerConfig.fromEnv(env));
            assertThat(status).as("backfill exit status").isZero();
            int[] backfilled = {0};
            await("backfilled records on the topic").atMost(Duration.ofSeconds(20)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (pg.equals(r.key()) && r.headers().lastHeader(Topics.HEADER_BACKFILL) != null) {
                        assertThat(r.timestamp()).isLessThan(latest.toEpochMilli());
                        backfilled[0]++;
                    }
                }
                return backfilled[0] > 0;
            });
            consumer.close();

            try {
                await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(250)).until(() -> latest.equals(iqTimestamp(iqPort, pg))
                                && latest.equals(redisTimestamp(redis, pg)));
            } finally {
                // Leave Redis as found: other tests' APIs must not be served this test's copy of the demo database.
                // As the admin: the API's Redis user may not delete snapshot keys.
                try (JedisPooled admin = TestServices.redis(TestServices.REDIS_ADMIN)) {
                    admin.del("dbm:{" + pg + "}:fresh", "dbm:{" + pg + "}:stale");
                }
            }
        }
    }

    private Instant iqTimestamp(int port, String id) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/internal/v1/snapshots/" + id)).header("Authorization", "Bearer " + TestStack.IQ_TOKEN)
                    .timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            JsonNode body = mapper.readTree(r.body());
            return Instant.parse(body.path("timestamp").asText());
        } catch (Exception e) {
            return null;
        }
    }

    private Instant redisTimestamp(JedisPooled redis, String id) throws Exception {
        String json = redis.get("dbm:{" + id + "}:stale");
        return json == null ? null : Instant.parse(mapper.readTree(json).path("timestamp").asText());
    }
}
