package com.dbmetrics.bench;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * The streams-app's ceiling: how many snapshots per second it takes from a pre-filled topic into its store,
 * {@code dbmetrics.latest.v1} and Redis, next to a minimal upsert + Redis mirror topology measured in the same run.
 *
 * <pre>
 * ./dbm up --infra-only        # or ./dbm up
 * ./dbm bench streams-throughput     # runs this class with a Redis of its own; or by hand:
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.StreamsThroughputBench \
 *      127.0.0.1:17092 redis://127.0.0.1:PORT [SNAPSHOTS=1000000] [DATABASES=100000] [REPEATS=3] [PARTITIONS=6] \
 *      [VARIANTS=baseline-2t,ours-eos-20ms-2t,...]
 * </pre>
 *
 * Kafka and Redis are reached as the shared client variables say ({@link BenchClients}: e.g.
 * {@code KAFKA_CLIENT_PROPERTIES_FILE} of a principal allowed to create topics, {@code REDIS_USERNAME} of a user
 * allowed to FLUSHALL), so the same program measures a secured and a plaintext Kafka and Redis.
 *
 * The topic is filled once with SNAPSHOTS snapshots over DATABASES synthetic databases (each database's event time
 * rising, so every record is accepted, as a replay of history would be), with the poller's producer settings. Then each
 * variant runs REPEATS times, every run a new application id with empty state reading the whole topic, Redis flushed
 * before it. A run's clock starts when KafkaStreams reaches RUNNING (group joined, tasks assigned; the start-up time is
 * printed separately) and stops when the group's committed offsets equal the end offsets and every database's key in
 * Redis holds its last snapshot's time. Variants (a {@code -2t} suffix: two stream threads, else one):
 * <ul>
 *   <li>{@code baseline}, {@code baseline-2t}: source → persistent store upsert → Redis {@code SET} pipelined every
 *       10 ms, at-least-once, 100 ms commits. No event-time guard, no project index, no output topic, no Lua.</li>
 *   <li>{@code ours-eos-20ms-2t}: the real streams-app (StreamsApp.start) with its defaults: exactly_once_v2, 20 ms
 *       commits, two stream threads; {@code ours-eos-20ms} the same with one thread.</li>
 *   <li>{@code ours-eos-100ms-2t}, {@code ours-alos-100ms-2t}: the cost of the commit interval and of exactly-once.</li>
 * </ul>
 */
public final class StreamsThroughputBench {

    private static final String BASELINE = "baseline";

    private StreamsThroughputBench() {}

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        KafkaClientSettings kafka = BenchClients.kafka(bootstrap);
        RedisEndpoint redisEndpoint = BenchClients.redis(args[1]);
        int snapshots = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        int databases = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
        int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int partitions = args.length > 5 ? Integer.parseInt(args[5]) : 6;
        List<String> variants = args.length > 6 ? Arrays.asList(args[6].split(","))
                : List.of(BASELINE + "-2t", "ours-eos-20ms-2t", BASELINE, "ours-eos-20ms", "ours-eos-100ms-2t",
                        "ours-alos-100ms-2t");
        String run = "bench-" + (System.currentTimeMillis() % 1_000_000);
        MetricsTopology.TopicNames topics = PrivateStreamsApp.topics(run);
        JedisPooled redis = BenchClients.pooled(redisEndpoint, "dbm-streams-throughput-bench");
        Path stateRoot = Files.createTempDirectory("dbm-streams-bench");

        try (Admin admin = Admin.create(kafka.clientProperties())) {
            PrivateStreamsApp.createTopics(admin, topics, partitions);
            long fillStart = System.nanoTime();
            Instant lastTimestamp = fill(kafka, topics.snapshots(), snapshots, databases);
            System.out.printf(Locale.ROOT, "filled %s: %,d snapshots over %,d databases, %d partitions, in %.1f s%n",
                    topics.snapshots(), snapshots, databases, partitions, (System.nanoTime() - fillStart) / 1e9);
            Map<TopicPartition, Long> end = endOffsets(admin, topics.snapshots(), partitions);

            Map<String, List<double[]>> results = new HashMap<>();
            for (int repeat = 1; repeat <= repeats; repeat++) {
                for (String variant : variants) { // interleaved, so drift of a noisy host hits every variant alike
                    redis.flushAll();
                    String appId = run + "-" + variant + "-" + repeat;
                    double[] r = runOnce(variant, appId, kafka, redisEndpoint, topics, stateRoot, admin, end, redis,
                            databases, snapshots, lastTimestamp);
                    System.out.printf(Locale.ROOT, "%-16s run %d: %,.0f snapshots/s (%.2f s processing of which %.2f s until "
                            + "the offsets were committed, %.2f s start-up)%n", variant, repeat, r[0], r[1], r[3], r[2]);
                    results.computeIfAbsent(variant, v -> new ArrayList<>()).add(r);
                }
            }
            printTable(results, variants, snapshots, databases, partitions);
            PrivateStreamsApp.deleteTopics(admin, topics);
        } finally {
            redis.flushAll();
            redis.close();
        }
    }

    /** Produces the history with the poller's producer settings; returns the newest event time (every key's last). */
    private static Instant fill(KafkaClientSettings kafka, String topic, int snapshots, int databases)
            throws Exception {
        Properties p = new Properties();
        p.putAll(kafka.clientProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        ObjectMapper mapper = Json.newMapper();
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        int rounds = (snapshots + databases - 1) / databases;
        Instant last = base;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            int sent = 0;
            for (int round = 0; round < rounds && sent < snapshots; round++) {
                Instant at = base.plusSeconds(5L * round);
                for (int db = 0; db < databases && sent < snapshots; db++, sent++) {
                    MetricsSnapshot snapshot = snapshot(db, at);
                    producer.send(new ProducerRecord<>(topic, snapshot.databaseId(), mapper.writeValueAsBytes(snapshot)));
                }
                last = at;
            }
            producer.flush();
        }
        if (snapshots % databases != 0) {
            throw new IllegalArgumentException("SNAPSHOTS must be a multiple of DATABASES, so every key ends at one time");
        }
        return last;
    }

    static MetricsSnapshot snapshot(int db, Instant at) {
        Map<Metric, Double> values = new EnumMap<>(Metric.class);
        long seed = at.getEpochSecond() * 31 + db;
        for (Metric metric : Metric.values()) {
            values.put(metric, (double) Math.floorMod(seed * (metric.ordinal() + 7), 10_000) / 100.0);
        }
        String id = "tp-" + db;
        return MetricsSnapshot.of(new DatabaseRef(id, "bench database " + db, "postgresql", "bench",
                "p" + (db % 1000)), at, 5, values);
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int i = 0; i < partitions; i++) {
            request.put(new TopicPartition(topic, i), OffsetSpec.latest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> info = admin.listOffsets(request).all().get();
        return info.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** Returns {snapshots/s, processing seconds, start-up seconds, seconds until the offsets were committed}. */
    private static double[] runOnce(String variant, String appId, KafkaClientSettings kafka,
            RedisEndpoint redisEndpoint, MetricsTopology.TopicNames topics, Path stateRoot, Admin admin,
            Map<TopicPartition, Long> end, JedisPooled redis, int databases, int snapshots, Instant lastTimestamp)
            throws Exception {
        long started = System.nanoTime();
        long[] runningAt = {0};
        AutoCloseable app;
        KafkaStreams streams;
        if (isBaseline(variant)) {
            streams = baseline(appId, kafka, topics.snapshots(), redis, stateRoot.resolve(appId),
                    PrivateStreamsApp.threads(variant));
            app = streams::close;
        } else {
            StreamsApp ours = PrivateStreamsApp.start(variant, appId, kafka, redisEndpoint, topics,
                    stateRoot.resolve(appId));
            streams = ours.streams();
            app = ours;
        }
        try {
            while (streams.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(5);
            }
            runningAt[0] = System.nanoTime();
            // committed offsets at the end: everything processed (and, with EOS, its transaction committed)
            while (!committedAtEnd(admin, appId, end)) {
                Thread.sleep(20);
            }
            long committedAt = System.nanoTime();
            // and Redis holds every database's last snapshot (the mirror flushes asynchronously)
            String expected = Long.toString(lastTimestamp.toEpochMilli());
            while (!redisConverged(redis, databases, variant, expected)) {
                Thread.sleep(20);
            }
            long done = System.nanoTime();
            double processing = (done - runningAt[0]) / 1e9;
            return new double[] {snapshots / processing, processing, (runningAt[0] - started) / 1e9,
                (committedAt - runningAt[0]) / 1e9};
        } finally {
            app.close();
        }
    }

    private static boolean committedAtEnd(Admin admin, String group, Map<TopicPartition, Long> end) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            OffsetAndMetadata offset = committed.get(e.getKey());
            // with EOS the last offset is the transaction marker: the committed offset passes the last record
            if (offset == null || offset.offset() < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Every key checked, in pipelined batches: ours writes a time key per database, the baseline the value itself. */
    private static boolean redisConverged(JedisPooled redis, int databases, String variant, String expectedMillis) {
        int batch = 5_000;
        for (int from = 0; from < databases; from += batch) {
            List<Response<String>> answers = new ArrayList<>(batch);
            try (Pipeline pipeline = redis.pipelined()) {
                for (int db = from; db < Math.min(databases, from + batch); db++) {
                    String id = "tp-" + db;
                    answers.add(pipeline.get(isBaseline(variant) ? "baseline:" + id
                            : com.dbmetrics.streams.redis.RedisMirror.timeKey(id)));
                }
                pipeline.sync();
            }
            for (Response<String> answer : answers) {
                if (!expectedMillis.equals(answer.get())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The minimal topology the 45–50k/s figure describes: upsert into a persistent store, mirror by SET. */
    private static boolean isBaseline(String variant) {
        return BASELINE.equals(PrivateStreamsApp.withoutThreads(variant));
    }

    private static KafkaStreams baseline(String appId, KafkaClientSettings kafka, String topic, JedisPooled redis,
            Path state, int threads) {
        ObjectMapper mapper = Json.newMapper();
        Topology topology = new Topology();
        topology.addSource("source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), topic);
        topology.addProcessor("upsert", () -> new Processor<String, byte[], Void, Void>() {
            private KeyValueStore<String, byte[]> store;
            private final Map<String, String> pending = new HashMap<>();

            @Override
            public void init(ProcessorContext<Void, Void> context) {
                store = context.getStateStore("latest");
                context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, now -> flush());
            }

            @Override
            public void process(Record<String, byte[]> record) {
                MetricsSnapshot snapshot = read(mapper, record.value());
                store.put(record.key(), record.value());
                pending.put("baseline:" + record.key(), Long.toString(snapshot.timestamp().toEpochMilli()));
            }

            private void flush() {
                if (pending.isEmpty()) {
                    return;
                }
                try (Pipeline pipeline = redis.pipelined()) {
                    pending.forEach(pipeline::set);
                    pipeline.sync();
                }
                pending.clear();
            }

            @Override
            public void close() {
                flush();
            }
        }, "source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("latest"), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), "upsert");
        Properties p = new Properties();
        p.putAll(kafka.clientProperties());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        KafkaStreams streams = new KafkaStreams(topology, p);
        streams.start();
        return streams;
    }

    private static MetricsSnapshot read(ObjectMapper mapper, byte[] value) {
        try {
            return mapper.readValue(value, MetricsSnapshot.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void printTable(Map<String, List<double[]>> results, List<String> variants, int snapshots,
            int databases, int partitions) {
        System.out.printf(Locale.ROOT, "%n%,d snapshots over %,d databases, %d partitions; stream threads as named "
                + "(-2t: 2, else 1); ratio to the baseline with the same threads; median of %d runs [min–max]%n%n",
                snapshots, databases, partitions, results.get(variants.get(0)).size());
        System.out.println("| variant | snapshots/s | ratio to baseline | processing s | start-up s |");
        System.out.println("|---|---|---|---|---|");
        for (String variant : variants) {
            int threads = PrivateStreamsApp.threads(variant);
            String sameThreads = threads == 1 ? BASELINE : BASELINE + "-" + threads + "t";
            double baseline = results.containsKey(sameThreads) ? Stats.median(column(results.get(sameThreads), 0))
                    : Double.NaN;
            double[] rate = column(results.get(variant), 0);
            double[] seconds = column(results.get(variant), 1);
            double[] startup = column(results.get(variant), 2);
            System.out.printf(Locale.ROOT, "| %s | %,.0f [%,.0f–%,.0f] | %.2f | %.2f | %.2f |%n", variant,
                    Stats.median(rate), Stats.min(rate), Stats.max(rate), Stats.median(rate) / baseline,
                    Stats.median(seconds), Stats.median(startup));
        }
    }

    private static double[] column(List<double[]> rows, int index) {
        return rows.stream().mapToDouble(r -> r[index]).toArray();
    }
}
