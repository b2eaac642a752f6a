package com.dbmetrics.streams;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.ops.ManagementServer;
import com.dbmetrics.streams.errors.DeadLetterHandler;
import com.dbmetrics.streams.errors.DeadLetters;
import com.dbmetrics.streams.query.IqCounters;
import com.dbmetrics.streams.query.IqServer;
import com.dbmetrics.streams.query.SnapshotQueries;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.dbmetrics.streams.topology.TopologyCounters;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * One streams-app instance: the topology run by Kafka Streams, the Redis mirror it feeds, the store resync after an
 * overflowed mirror, the interactive-query server and the management server ({@code /healthz}, {@code /readyz},
 * {@code /metrics}). {@link #create} builds everything and starts nothing; {@link #start()} starts each part after
 * those it needs; {@link #close()} stops every part, in reverse order.
 */
public final class StreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);
    private static final Duration STREAMS_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final StreamsAppConfig config;
    private final UnifiedJedis redis;
    private final RedisMirror mirror;
    private final KafkaStreams streams;
    private final StreamsMetrics metrics;
    private final StoreResync resync;
    private final IqServer iq;
    private final ManagementServer management;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StreamsApp(StreamsAppConfig config, UnifiedJedis redis, RedisMirror mirror, KafkaStreams streams,
            StreamsMetrics metrics, IqServer iq, ManagementServer management) {
        this.config = config;
        this.redis = redis;
        this.mirror = mirror;
        this.streams = streams;
        this.metrics = metrics;
        this.resync = new StoreResync(streams, mirror);
        this.iq = iq;
        this.management = management;
    }

    /** Builds an instance on {@code topics}; nothing runs, connects or listens until {@link #start()}. */
    public static StreamsApp create(StreamsAppConfig config, MetricsTopology.TopicNames topics, Clock clock) {
        ObjectMapper mapper = Json.newMapper();
        UnifiedJedis redis = redisClient(config);
        RedisMirror mirror = new RedisMirror(redis, mapper, config.redisTtl(), config.mirrorFlushInterval(),
                config.mirrorMaxBacklog(), clock);
        TopologyCounters counters = new TopologyCounters();
        DeadLetters deadLetters = new DeadLetters();
        Properties props = properties(config);
        props.put(DeadLetterHandler.DLQ_TOPIC_CONFIG, topics.deadLetters());
        props.put(DeadLetters.CONFIG, deadLetters);
        KafkaStreams streams = new KafkaStreams(MetricsTopology.build(topics, mapper, mirror, counters, config.historyRetention()), props);
        streams.setUncaughtExceptionHandler(e -> {
            // A bug or a broken invariant in one thread: replace the thread rather than stop serving.
            log.error("Stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        RestoreProgress restore = new RestoreProgress();
        streams.setGlobalStateRestoreListener(restore); // every store, not only global ones; before start()
        streams.setStateListener((next, previous) -> {
            log.info("Kafka Streams state {} -> {}", previous, next);
            if (next == KafkaStreams.State.RUNNING) {
                restore.running();
            }
        });
        IqCounters iqCounters = new IqCounters();
        StreamsMetrics metrics = new StreamsMetrics(streams, counters, deadLetters, mirror, iqCounters, restore);
        SnapshotQueries queries = new SnapshotQueries(streams, config.applicationServer(), topics.snapshots());
        IqServer iq = new IqServer(queries, iqCounters, mapper,
                config.iqToken(), config.iqBindHost(), config.applicationServer().port());
        ManagementServer management = new ManagementServer(
                new InetSocketAddress(config.managementBindHost(), config.managementPort()), metrics::scrape,
                StreamsHealth.probes(streams));
        return new StreamsApp(config, redis, mirror, streams, metrics, iq, management);
    }

    /**
     * Builds and starts an instance on the system clock: for programs that run the streams-app inside their own
     * process (integration tests, benchmarks).
     */
    public static StreamsApp start(StreamsAppConfig config, MetricsTopology.TopicNames topics) {
        return create(config, topics, Clock.systemUTC()).start();
    }

    /** Starts the mirror's flusher, Kafka Streams, the resync and the two servers; on failure stops them again. */
    public StreamsApp start() {
        try {
            mirror.start();
            streams.start();
            metrics.start();
            resync.start();
            iq.start();
            management.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info("Streams-app {} started: Kafka {}, Redis {}; interactive queries bound to {}:{} (reached as {}), "
                + "management on {}:{}", config.applicationId(), config.kafka().describe(), config.redis().describe(),
                config.iqBindHost(), iq.port(), config.applicationServer(), config.managementBindHost(),
                management.port());
        return this;
    }

    /**
     * The Redis client of the mirror (and of {@code resync-redis}): user, password, database and TLS of
     * {@link StreamsAppConfig#redis()}, 2 s to connect and to answer, on its topology (one node, Sentinel or Cluster).
     */
    static UnifiedJedis redisClient(StreamsAppConfig config) {
        return config.redis().open(config.redis().clientConfig(2000, "dbmetrics-streams"));
    }

    /**
     * How long the group waits for a silent instance (killed, paused, cut off) before its tasks move to the standby
     * copies: Kafka's default of 45 s froze the data of a killed instance's partitions for about a minute
     * (./dbm chaos streams-kill: worst age 58 s, fresh again 40 s after the restart, twice the goal). Heartbeats go
     * every 3 s from their own thread, so a busy stream thread is not a silent one; a JVM paused longer than this
     * (GC, SIGSTOP) is, and its tasks move.
     */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(15);

    static Properties properties(StreamsAppConfig config) {
        Properties p = new Properties();
        p.putAll(config.kafka().clientProperties()); // bootstrap servers and security, for every client of Streams
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG,
                config.applicationServer().host() + ":" + config.applicationServer().port());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) SESSION_TIMEOUT.toMillis());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                (int) SESSION_TIMEOUT.dividedBy(5).toMillis());
        return p;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public RedisMirror mirror() {
        return mirror;
    }

    public int iqPort() {
        return iq.port();
    }

    public int managementPort() {
        return management.port();
    }

    /** The address the interactive-query server is bound to ({@code STREAMS_IQ_BIND_HOST}). */
    public String iqBindHost() {
        return config.iqBindHost();
    }

    /** The address the management server is bound to ({@code STREAMS_MANAGEMENT_BIND_HOST}). */
    public String managementBindHost() {
        return config.managementBindHost();
    }

    /**
     * Stops the servers, the resync, Kafka Streams (committing), the mirror (after a last flush), then Redis. Once:
     * later calls (a shutdown hook after a failed start) do nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        management.close();
        iq.close();
        resync.close();
        metrics.close();
        // leave the group: Kafka Streams' default keeps a closed member in the group until its session times out
        // (45 s), and a restarted instance's rejoin waited for that; every answer went stale meanwhile
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(STREAMS_CLOSE_TIMEOUT));
        mirror.close();
        redis.close();
    }
}
