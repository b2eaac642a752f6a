package com.dbmetrics.bench;

import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.config.RedisEndpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;

/**
 * Visibility of the live pipeline: for every snapshot the poller of {@code ./dbm up} produces, the time from its
 * {@code dbm-produced-at} header to the moment the streams-app's mirror wrote it to Redis. Nothing is injected: the probe
 * reads {@code dbmetrics.snapshots.v1} (read_committed, from the end) for the header and listens to Redis keyspace
 * notifications on the mirror's {@code dbm:{id}:ts} keys; a database's record and its notification are paired by id
 * (one snapshot per database per interval, so the pairing is unambiguous). Both times are this machine's wall clock.
 *
 * <pre>
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.PipelineLagProbe \
 *      127.0.0.1:17092 127.0.0.1:17379 [SECONDS=60] [WARMUP_SECONDS=10]
 * </pre>
 *
 * Kafka and Redis are reached as the shared client variables say ({@link BenchClients}); the Redis user must be
 * allowed CONFIG SET (keyspace notifications) and PSUBSCRIBE.
 *
 * Prints one line {@code lag count=N p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. unmatched=..}.
 */
public final class PipelineLagProbe {

    private final Map<String, Long> producedAt = new HashMap<>();
    private final Map<String, Long> notifiedAt = new HashMap<>();
    private final List<Long> lags = new ArrayList<>();
    private volatile boolean counting;

    private PipelineLagProbe() {}

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        RedisEndpoint redis = BenchClients.redis(args[1]);
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        PipelineLagProbe probe = new PipelineLagProbe();

        Jedis admin = BenchClients.single(redis, "dbm-pipeline-lag-probe");
        String previousEvents = admin.configGet("notify-keyspace-events").getOrDefault("notify-keyspace-events", "");
        admin.configSet("notify-keyspace-events", "K$");
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onPMessage(String pattern, String channel, String message) {
                if ("set".equals(message)) {
                    int open = channel.indexOf('{');
                    probe.notified(channel.substring(open + 1, channel.indexOf('}', open)), System.currentTimeMillis());
                }
            }
        };
        Thread subscriber = new Thread(() -> {
            try (JedisPooled sub = BenchClients.pooled(redis, "dbm-pipeline-lag-probe-notifications")) {
                sub.psubscribe(listener, "__keyspace@0__:dbm:{*}:ts");
            }
        }, "keyspace-subscriber");
        subscriber.setDaemon(true);
        subscriber.start();

        Properties p = BenchClients.kafkaProperties(bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.SNAPSHOTS).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            long start = System.nanoTime();
            long countFrom = start + TimeUnit.SECONDS.toNanos(warmup);
            long end = countFrom + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                probe.counting = System.nanoTime() >= countFrom;
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    Header header = record.headers().lastHeader(Topics.HEADER_PRODUCED_AT);
                    if (record.key() != null && header != null) {
                        probe.produced(record.key(),
                                Long.parseLong(new String(header.value(), StandardCharsets.UTF_8)));
                    }
                }
            }
            probe.counting = false;
            Thread.sleep(1000); // notifications of the last records
        } finally {
            listener.punsubscribe();
            admin.configSet("notify-keyspace-events", previousEvents);
            admin.close();
        }
        probe.report(seconds);
    }

    private synchronized void produced(String id, long at) {
        Long notified = notifiedAt.remove(id);
        if (notified != null && notified >= at) {
            record(notified - at);
        } else {
            producedAt.put(id, at);
        }
    }

    private synchronized void notified(String id, long at) {
        Long produced = producedAt.remove(id);
        if (produced != null) {
            record(at - produced);
        } else {
            notifiedAt.put(id, at); // the consumer has not seen the record yet
        }
    }

    private void record(long lagMillis) {
        if (counting) {
            lags.add(lagMillis);
        }
    }

    private synchronized void report(int seconds) {
        long[] sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalStateException("no snapshot was both produced and mirrored in " + seconds
                    + " s: is the stack of ./dbm up running?");
        }
        System.out.printf(Locale.ROOT, "lag count=%d rate_per_s=%.0f p50_ms=%d p99_ms=%d p999_ms=%d max_ms=%d "
                        + "unmatched_records=%d unmatched_notifications=%d%n", sorted.length,
                sorted.length / (double) seconds, pct(sorted, 0.50), pct(sorted, 0.99), pct(sorted, 0.999),
                sorted[sorted.length - 1], producedAt.size(), notifiedAt.size());
    }

    private static long pct(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }
}
