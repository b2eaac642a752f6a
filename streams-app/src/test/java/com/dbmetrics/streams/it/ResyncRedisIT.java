package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.ResyncRedisCommand;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
import redis.clients.jedis.JedisPooled;

/**
 * {@code streams-app resync-redis} (docs/operations.md, replay, resync and backfill): the real streams-app mirrors snapshots and a
 * tombstone, Redis loses them, and the command puts every key back from the view topic as the app had written it,
 * without replacing a newer value written to Redis in the meantime.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResyncRedisIT {

    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("resync-snapshots-" + run,
            "resync-latest-" + run, "resync-status-" + run, "resync-dlq-" + run);
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());

    private Map<String, String> env(int iqPort) throws Exception {
        Map<String, String> env = new HashMap<>(ItServices.appEnv(TestServices.KAFKA_ADMIN)); // unique topics
        env.put("STREAMS_APPLICATION_ID", "resync-" + run);
        env.put("STREAMS_APPLICATION_SERVER", "127.0.0.1:" + iqPort);
        env.put("STREAMS_MANAGEMENT_PORT", "0");
        env.put("STREAMS_STATE_DIR", Files.createTempDirectory("resync-state").toString());
        return env;
    }

    private static MetricsSnapshot snapshot(String id, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", "resync"), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }

    /** The three keys of a database, values as Redis holds them (null when absent). */
    private static List<String> keys(JedisPooled redis, String id) {
        return Arrays.asList(redis.get(RedisKeys.fresh(id)), redis.get(RedisKeys.stale(id)),
                redis.get(RedisKeys.eventTime(id)));
    }

    @Test
    void shouldRewriteEveryKeyFromTheViewWithoutReplacingNewerValues() throws Exception {
        try (Admin admin = Admin.create(TestServices.kafkaProperties(TestServices.KAFKA_ADMIN))) {
            admin.createTopics(List.of(new NewTopic(topics.snapshots(), 3, (short) 1),
                    new NewTopic(topics.latest(), 3, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(topics.pollerStatus(), 1, (short) 1),
                    new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get();
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add("rs-" + run + "-" + i);
        }
        String removed = "rs-gone-" + run;
        String newer = "rs-newer-" + run;
        Map<String, String> env = env(freePort());
        try (JedisPooled redis = TestServices.redis(TestServices.REDIS_ADMIN)) {
            try (StreamsApp app = StreamsApp.start(StreamsAppConfig.fromEnv(env), topics);
                    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(ItServices.producerProperties())) {
                // two versions each (the view topic holds both until compaction), a removed database, and one that
                // will have a newer value in Redis than the view
                for (int round = 0; round < 2; round++) {
                    for (String id : ids) {
                        produce(producer, snapshot(id, T0.plusSeconds(10L * round), round * 100 + ids.indexOf(id)));
                    }
                }
                produce(producer, snapshot(removed, T0, 1));
                producer.send(new ProducerRecord<String, byte[]>(topics.snapshots(), null,
                        T0.plusSeconds(5).toEpochMilli(), removed, null)).get();
                produce(producer, snapshot(newer, T0.plusSeconds(10), 10));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    for (String id : ids) {
                        assertThat(keys(redis, id).get(2)).as(id).isEqualTo(Long.toString(T0.plusSeconds(10)
                                .toEpochMilli()));
                    }
                    assertThat(redis.get(RedisKeys.eventTime(removed))).isEqualTo(Long.toString(
                            T0.plusSeconds(5).toEpochMilli()));
                    assertThat(redis.get(RedisKeys.eventTime(newer))).isNotNull();
                });
            } // closed: its last transaction on the view topic is committed
            Map<String, List<String>> mirrored = new HashMap<>();
            for (String id : ids) {
                mirrored.put(id, keys(redis, id));
            }
            mirrored.put(removed, keys(redis, removed));
            assertThat(mirrored.get(removed)).containsExactly(null, null,
                    Long.toString(T0.plusSeconds(5).toEpochMilli()));

            for (String id : mirrored.keySet()) {
                redis.del(RedisKeys.fresh(id), RedisKeys.stale(id), RedisKeys.eventTime(id));
            }
            redis.del(RedisKeys.fresh(newer), RedisKeys.stale(newer), RedisKeys.eventTime(newer));
            MetricsSnapshot newest = snapshot(newer, T0.plusSeconds(20), 20); // e.g. written meanwhile by the app
            try (RedisMirror other = new RedisMirror(redis, Json.newMapper(), Duration.ofSeconds(15),
                    Duration.ofMillis(10), 100, Clock.systemUTC()).start()) {
                other.snapshot(newest);
                assertThat(other.awaitFlushed(Duration.ofSeconds(10))).isTrue();
            }

            ResyncRedisCommand.Summary summary = ResyncRedisCommand.resync(StreamsAppConfig.fromEnv(env),
                    topics.latest(), Duration.ofSeconds(30), Clock.systemUTC());

            for (Map.Entry<String, List<String>> e : mirrored.entrySet()) {
                assertThat(keys(redis, e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
            for (String id : ids) {
                assertThat(redis.pttl(RedisKeys.fresh(id))).as(id).isBetween(10_000L, 15_000L);
                assertThat(redis.pttl(RedisKeys.stale(id))).as(id).isBetween(295_000L, 300_000L);
            }
            assertThat(serde.parse(redis.get(RedisKeys.fresh(newer)).getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(newest);
            assertThat(serde.parse(redis.get(RedisKeys.stale(newer)).getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(newest);
            assertThat(redis.get(RedisKeys.eventTime(newer)))
                    .isEqualTo(Long.toString(newest.timestamp().toEpochMilli()));
            // 2 x 10 + 2 + 1 records on the view, unless compaction already dropped older versions
            assertThat(summary.recordsRead()).isBetween(13L, 23L);
            assertThat(summary.tombstones()).isEqualTo(1);
            assertThat(summary.unreadable()).isZero();
            // 10 snapshots and the tombstone, plus older versions flushed before their successor was read
            assertThat(summary.written()).isBetween(11L, 22L);
            assertThat(summary.skippedOlder()).isEqualTo(1); // the view's value of `newer`
        }
    }

    @Test
    void shouldFailWithOneLineNamingRedisOrKafkaWhenUnreachable() throws Exception {
        int closed = freePort();
        Map<String, String> noRedis = env(freePort());
        String scheme = TestServices.redisEndpoint(TestServices.REDIS_STREAMS).tls() ? "rediss" : "redis";
        noRedis.put("REDIS_URL", scheme + "://127.0.0.1:" + closed);
        assertThatThrownBy(() -> ResyncRedisCommand.resync(StreamsAppConfig.fromEnv(noRedis), topics.latest(),
                Duration.ofSeconds(2), Clock.systemUTC())).isInstanceOf(ResyncRedisCommand.ResyncException.class)
                .hasMessageStartingWith("Redis at 127.0.0.1:" + closed + " did not answer")
                .hasMessageNotContaining("\n");

        Map<String, String> noKafka = env(freePort());
        noKafka.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + closed);
        assertThatThrownBy(() -> ResyncRedisCommand.resync(StreamsAppConfig.fromEnv(noKafka), topics.latest(),
                Duration.ofSeconds(2), Clock.systemUTC())).isInstanceOf(ResyncRedisCommand.ResyncException.class)
                .hasMessageStartingWith("Kafka at 127.0.0.1:" + closed).hasMessageNotContaining("\n");
        assertThat(ResyncRedisCommand.run(StreamsAppConfig.fromEnv(noRedis), Clock.systemUTC())).isEqualTo(1);
    }

    private void produce(KafkaProducer<String, byte[]> producer, MetricsSnapshot s) throws Exception {
        producer.send(new ProducerRecord<>(topics.snapshots(), null, s.timestamp().toEpochMilli(), s.databaseId(),
                serde.serialize(topics.snapshots(), s))).get();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
