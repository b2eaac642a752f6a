package com.dbmetrics.bench;

import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;

/**
 * Write-path visibility: how long from producing a snapshot to Kafka until the streams-app has it in Redis.
 *
 * <pre>
 * ./dbm up
 * mvn -B -q -DskipTests -pl benchmarks -am package
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.VisibilityBench \
 *      127.0.0.1:17092 127.0.0.1:17379 [RATE_PER_S=1000] [SECONDS=30] [DATABASES=10000] [VARIANT]
 * </pre>
 *
 * Without VARIANT the records go to the real topic and the streams-app of {@code ./dbm up} mirrors them. With a
 * VARIANT such as {@code ours-eos-50ms} (see {@link PrivateStreamsApp}) this process runs the real streams-app itself
 * with those settings on topics of its own, so settings can be compared without touching the stack; give it a Redis of
 * its own too. Kafka and Redis are reached as the shared client variables say ({@link BenchClients}); the Redis user
 * must be allowed CONFIG SET (keyspace notifications) and PSUBSCRIBE.
 *
 * Open loop: records are sent at a constant rate, each with the {@code dbm-produced-at} header, to the real
 * {@code dbmetrics.snapshots.v1}; synthetic database ids {@code vis-N} get strictly increasing event times. Redis
 * keyspace notifications on the mirror's {@code dbm:{id}:ts} key mark the moment each snapshot became readable from
 * Redis. The first 20 % of the run is warm-up and not counted. Baseline, same run: the notification path alone (this
 * process writing such a key directly and hearing it back).
 */
public final class VisibilityBench {

    private VisibilityBench() {}

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        KafkaClientSettings kafka = BenchClients.kafka(bootstrap);
        RedisEndpoint redisEndpoint = BenchClients.redis(args[1]);
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        int databases = args.length > 4 ? Integer.parseInt(args[4]) : 10_000;
        String variant = args.length > 5 ? args[5] : null;
        String run = Long.toString(System.currentTimeMillis() % 100_000);
        String topic = "dbmetrics.snapshots.v1";
        AutoCloseable privateApp = () -> { };
        org.apache.kafka.clients.admin.Admin kafkaAdmin = null;
        com.dbmetrics.streams.topology.MetricsTopology.TopicNames privateTopics = null;
        if (variant != null) {
            privateTopics = PrivateStreamsApp.topics("vis-" + run);
            kafkaAdmin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties());
            PrivateStreamsApp.createTopics(kafkaAdmin, privateTopics, 6);
            com.dbmetrics.streams.StreamsApp app = PrivateStreamsApp.start(variant, "vis-" + run + "-" + variant,
                    kafka, redisEndpoint, privateTopics,
                    java.nio.file.Files.createTempDirectory("dbm-visibility"));
            while (app.streams().state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
                Thread.sleep(10);
            }
            privateApp = app;
            topic = privateTopics.snapshots();
        }
        final String target = topic;

        JedisPooled redis = BenchClients.pooled(redisEndpoint, "dbm-visibility-bench");
        Jedis admin = BenchClients.single(redisEndpoint, "dbm-visibility-bench-admin");
        String previousEvents = admin.configGet("notify-keyspace-events").getOrDefault("notify-keyspace-events", "");
        admin.configSet("notify-keyspace-events", "K$");
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        long[] latencies = new long[rate * seconds + 1];
        AtomicLong observed = new AtomicLong();
        AtomicLong countFromNanos = new AtomicLong(Long.MAX_VALUE);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onPMessage(String pattern, String channel, String message) {
                long now = System.nanoTime();
                if (!"set".equals(message)) {
                    return;
                }
                int open = channel.indexOf('{');
                String id = channel.substring(open + 1, channel.indexOf('}', open));
                Long sent = sentAt.remove(id);
                if (sent != null && sent >= countFromNanos.get()) {
                    long i = observed.getAndIncrement();
                    if (i < latencies.length) {
                        latencies[(int) i] = now - sent;
                    }
                }
            }
        };
        Thread subscriber = new Thread(() -> {
            try (JedisPooled sub = BenchClients.pooled(redisEndpoint, "dbm-visibility-bench-notifications")) {
                sub.psubscribe(listener, "__keyspace@0__:dbm:{vis" + run + "-*}:ts",
                        "__keyspace@0__:dbm:{visbase" + run + "-*}:ts");
            }
        }, "keyspace-subscriber");
        subscriber.setDaemon(true);
        subscriber.start();
        Thread.sleep(500);

        // Baseline: the notification path alone, 2 s at the same rate.
        long baseStart = System.nanoTime();
        countFromNanos.set(baseStart);
        pace(rate, 2, i -> {
            String id = "visbase" + run + "-" + i;
            sentAt.put(id, System.nanoTime());
            redis.set("dbm:{" + id + "}:ts", "1");
            redis.pexpire("dbm:{" + id + "}:ts", 60_000);
        });
        Thread.sleep(500);
        long[] baseline = Arrays.copyOf(latencies, (int) Math.min(observed.get(), latencies.length));
        observed.set(0);
        countFromNanos.set(Long.MAX_VALUE);

        Properties producerProperties = BenchClients.kafkaProperties(bootstrap);
        producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProperties.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties, new StringSerializer(),
                new StringSerializer());
        long eventBase = Instant.now().getEpochSecond() - 3600;
        long start = System.nanoTime();
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(seconds) / 5;
        pace(rate, seconds, i -> {
            if (countFromNanos.get() == Long.MAX_VALUE && System.nanoTime() >= warmupEnd) {
                countFromNanos.set(System.nanoTime());
            }
            String id = "vis" + run + "-" + (i % databases);
            long eventSecond = eventBase + i / databases + 1;
            long now = System.nanoTime();
            sentAt.put(id, now);
            ProducerRecord<String, String> record = new ProducerRecord<>(target, null,
                    eventSecond * 1000, id, snapshot(id, eventSecond));
            record.headers().add("dbm-produced-at",
                    Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
            producer.send(record);
        });
        producer.flush();
        Thread.sleep(3000);
        long counted = Math.min(observed.get(), latencies.length);
        long expected = (long) rate * seconds * 4 / 5;
        producer.close();
        privateApp.close();
        if (kafkaAdmin != null) {
            PrivateStreamsApp.deleteTopics(kafkaAdmin, privateTopics);
            kafkaAdmin.close();
        }
        listener.punsubscribe();
        admin.configSet("notify-keyspace-events", previousEvents);
        admin.close();
        redis.close();

        System.out.printf("rate %d/s open loop, %d s (first 20%% warm-up), %d databases, streams-app: %s%n", rate,
                seconds, databases, variant == null ? "the one of ./dbm up" : variant + " in this process");
        System.out.println("| path | counted | p50 ms | p99 ms | p99.9 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        row("baseline: Redis write → keyspace notification", baseline, baseline.length);
        row("produce → streams-app → Redis (dbm:{id}:ts written)", Arrays.copyOf(latencies, (int) counted), counted);
        System.out.printf("observed %d of ~%d counted records (a snapshot superseded before it reached Redis is "
                + "not observed: only the newest per database is written)%n", counted, expected);
    }

    private static void row(String what, long[] values, long count) {
        long[] sorted = Arrays.copyOf(values, (int) count);
        Arrays.sort(sorted);
        System.out.printf("| %s | %d | %.2f | %.2f | %.2f | %.2f |%n", what, count, pct(sorted, 0.50),
                pct(sorted, 0.99), pct(sorted, 0.999), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    interface Step {
        void run(long i) throws Exception;
    }

    /** Calls step i at start + i / rate, never catching up by bursting less than it fell behind. */
    private static void pace(int rate, int seconds, Step step) throws Exception {
        long start = System.nanoTime();
        long total = (long) rate * seconds;
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            step.run(i);
        }
    }

    private static String snapshot(String id, long eventSecond) {
        return "{\"schema_version\":1,\"database_id\":\"" + id + "\",\"database_name\":\"" + id
                + "\",\"engine\":\"postgresql\",\"domain\":\"bench\",\"project\":\"visibility\",\"timestamp\":\""
                + Instant.ofEpochSecond(eventSecond) + "\",\"interval_seconds\":5,\"metrics\":{\"cpu_usage\":0.5,"
                + "\"memory_usage\":1048576,\"operations_per_sec\":10,\"connections\":3,\"storage_size\":4096},"
                + "\"missing\":[]}";
    }
}
