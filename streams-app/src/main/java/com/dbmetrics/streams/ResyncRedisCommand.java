package com.dbmetrics.streams;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.streams.redis.RedisMirror;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * {@code streams-app resync-redis}: rewrites Redis from the view. Reads the compacted {@code dbmetrics.latest.v1}
 * ({@code read_committed}; it holds what the latest stores hold) from the beginning up to the end offsets seen at
 * start and writes every record through a {@link RedisMirror}: the same keys, TTLs and Lua guard as the running
 * streams-app, so an older value never replaces a newer one written meanwhile, and a tombstone deletes both keys.
 * Kafka and Redis come from the streams-app's environment; waits and timeouts are measured on the process's clock.
 */
public final class ResyncRedisCommand {

    private static final Logger log = LoggerFactory.getLogger(ResyncRedisCommand.class);
    /** How long Kafka or Redis may keep the command waiting before it gives up. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    /** What a resync read and did; {@link #superseded} were replaced in the backlog by a later record of their id. */
    public record Summary(long recordsRead, long snapshots, long tombstones, long unreadable, long written,
            long skippedOlder) {
        public long superseded() {
            return snapshots + tombstones - written - skippedOlder;
        }
    }

    /** Kafka or Redis unreachable or failing; the message is one line naming which and where. */
    public static final class ResyncException extends Exception {
        ResyncException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private ResyncRedisCommand() {}

    /** Runs the command on {@code dbmetrics.latest.v1}; returns the process exit status (0 done, 1 failed). */
    public static int run(StreamsAppConfig config, Clock clock) {
        try {
            resync(config, Topics.LATEST, DEFAULT_TIMEOUT, clock);
            return 0;
        } catch (ResyncException e) {
            log.error("resync-redis failed: {}", e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("resync-redis interrupted");
            return 1;
        }
    }

    /** Rewrites Redis from {@code topic} (a view topic: key = database id, latest snapshot or tombstone). */
    public static Summary resync(StreamsAppConfig config, String topic, Duration timeout, Clock clock)
            throws ResyncException, InterruptedException {
        String redisAt = config.redis().host() + ":" + config.redis().port();
        ObjectMapper mapper = Json.newMapper();
        Map<String, Object> consumerConfig = new HashMap<>(config.kafka().clientProperties());
        consumerConfig.putAll(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "dbmetrics-resync-redis"));
        try (UnifiedJedis redis = StreamsApp.redisClient(config);
                RedisMirror mirror = new RedisMirror(redis, mapper, config.redisTtl(), config.mirrorFlushInterval(),
                        config.mirrorMaxBacklog(), clock).start();
                KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig,
                        new StringDeserializer(), new ByteArrayDeserializer())) {
            try {
                redis.ping();
            } catch (JedisException e) {
                throw new ResyncException("Redis at " + redisAt + " did not answer: " + e.getMessage(), e);
            }
            Reader reader = new Reader(mirror, JsonSerde.snapshots(mapper), Math.max(1, config.mirrorMaxBacklog() / 2),
                    timeout, redisAt, clock);
            reader.readToEnd(consumer, topic);
            if (!mirror.awaitFlushed(timeout)) {
                throw notFlushed(redisAt, timeout, mirror);
            }
            if (mirror.resyncNeeded()) { // cannot happen while the backlog is kept at half its bound; never silent
                throw new ResyncException("the Redis mirror backlog overflowed: rerun with a larger "
                        + StreamsAppConfig.REDIS_MIRROR_MAX_BACKLOG, null);
            }
            Summary summary = new Summary(reader.read, reader.snapshots, reader.tombstones, reader.unreadable,
                    mirror.written(), mirror.skippedOlder());
            log.info("resync-redis done: read {} records of {} up to the end offsets seen at start (snapshots {}, "
                    + "tombstones {}, unreadable {}); Redis: written {} (snapshots set, tombstones deleted), "
                    + "skipped {} as older than what Redis held, superseded {} by a later record of the same database",
                    summary.recordsRead(), topic, summary.snapshots(), summary.tombstones(), summary.unreadable(),
                    summary.written(), summary.skippedOlder(), summary.superseded());
            return summary;
        } catch (KafkaException e) { // unreachable (a timeout), or a client refusing the bootstrap servers
            throw new ResyncException("Kafka at " + config.kafka().bootstrapServers() + " failed reading " + topic + ": "
                    + e.getMessage(), e);
        }
    }

    private static ResyncException notFlushed(String redisAt, Duration timeout, RedisMirror mirror) {
        return new ResyncException("Redis at " + redisAt + " did not take the writes within " + timeout.toSeconds()
                + " s (" + mirror.backlog() + " still queued)", null);
    }

    /** Reads the view topic to the end offsets seen at start and hands every record to the mirror. */
    private static final class Reader {
        private final RedisMirror mirror;
        private final JsonSerde<MetricsSnapshot> serde;
        private final int maxBacklog;
        private final Duration timeout;
        private final String redisAt;
        private final Clock clock;
        long read;
        long snapshots;
        long tombstones;
        long unreadable;

        Reader(RedisMirror mirror, JsonSerde<MetricsSnapshot> serde, int maxBacklog, Duration timeout,
                String redisAt, Clock clock) {
            this.mirror = mirror;
            this.serde = serde;
            this.maxBacklog = maxBacklog;
            this.timeout = timeout;
            this.redisAt = redisAt;
            this.clock = clock;
        }

        void readToEnd(KafkaConsumer<String, byte[]> consumer, String topic)
                throws ResyncException, InterruptedException {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, timeout)
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            if (partitions.isEmpty()) {
                throw new ResyncException("topic " + topic + " does not exist", null);
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout); // read_committed: stable ends
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, timeout);
            begins.forEach(consumer::seek);
            Set<TopicPartition> remaining = new HashSet<>();
            partitions.stream().filter(p -> begins.get(p) < ends.get(p)).forEach(remaining::add);
            long lastProgress = clock.millis();
            while (!remaining.isEmpty()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
                for (TopicPartition partition : records.partitions()) {
                    long end = ends.get(partition);
                    for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                        if (record.offset() < end) {
                            mirror(record);
                        }
                    }
                }
                List<TopicPartition> done = remaining.stream().filter(p -> consumer.position(p) >= ends.get(p))
                        .toList();
                if (!records.isEmpty() || !done.isEmpty()) {
                    lastProgress = clock.millis();
                } else if (clock.millis() - lastProgress > timeout.toMillis()) {
                    throw new KafkaException("no progress on " + remaining.size() + " partitions for "
                            + timeout.toSeconds() + " s");
                }
                done.forEach(remaining::remove);
                consumer.pause(done);
            }
        }

        private void mirror(ConsumerRecord<String, byte[]> record) throws ResyncException, InterruptedException {
            read++;
            if (mirror.backlog() >= maxBacklog && !mirror.awaitFlushed(timeout)) {
                throw notFlushed(redisAt, timeout, mirror);
            }
            if (record.key() == null) {
                unreadable++; // the streams-app never writes one
                return;
            }
            if (record.value() == null) {
                tombstones++;
                mirror.tombstone(record.key(), record.timestamp());
                return;
            }
            try {
                MetricsSnapshot snapshot = serde.parse(record.value());
                snapshots++;
                mirror.snapshot(snapshot, record.value()); // the view's bytes are the store's and Redis's
            } catch (IOException e) {
                unreadable++;
                log.warn("Skipping unreadable record of {} at {}-{} offset {}: {}", record.key(), record.topic(),
                        record.partition(), record.offset(), e.getMessage());
            }
        }
    }
}
