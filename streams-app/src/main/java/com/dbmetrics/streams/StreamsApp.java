package com.dbmetrics.streams;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.streams.errors.DeadLetterHandler;
import com.dbmetrics.streams.query.IqCounters;
import com.dbmetrics.streams.query.IqServer;
import com.dbmetrics.streams.query.SnapshotQueries;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.dbmetrics.streams.topology.TopologyCounters;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/** A running streams-app instance: topology, KafkaStreams, Redis mirror and the interactive-query server. */
public final class StreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);

    private final KafkaStreams streams;
    private final RedisMirror mirror;
    private final JedisPooled redis;
    private final IqServer iq;

    private StreamsApp(KafkaStreams streams, RedisMirror mirror, JedisPooled redis, IqServer iq) {
        this.streams = streams;
        this.mirror = mirror;
        this.redis = redis;
        this.iq = iq;
    }

    public static StreamsApp start(StreamsAppConfig config, MetricsTopology.TopicNames topics) {
        ObjectMapper mapper = Json.newMapper();
        JedisPooled redis = new JedisPooled(new HostAndPort(config.redisUrl().getHost(), config.redisUrl().getPort()),
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(1000).socketTimeoutMillis(2000).build());
        RedisMirror mirror = new RedisMirror(redis, mapper, config.redisTtl(), config.mirrorFlushInterval(),
                config.mirrorMaxBacklog());
        TopologyCounters counters = new TopologyCounters();
        Topology topology = MetricsTopology.build(topics, mapper, mirror, counters);
        java.util.Properties props = properties(config);
        props.put(DeadLetterHandler.DLQ_TOPIC_CONFIG, topics.deadLetters());
        KafkaStreams streams = new KafkaStreams(topology, props);
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
        streams.start();
        java.util.concurrent.ScheduledExecutorService resync = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "redis-resync");
                    t.setDaemon(true);
                    return t;
                });
        resync.scheduleWithFixedDelay(() -> resyncIfNeeded(streams, mirror), 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        IqCounters iqCounters = new IqCounters();
        IqServer iq = new IqServer(new SnapshotQueries(streams, config.applicationServer()), iqCounters, mapper,
                "0.0.0.0", config.applicationServer().port(),
                StreamsMetrics.create(streams, counters, mirror, iqCounters, restore)::scrape);
        log.info("Streams-app {} started; interactive queries on {}:{}", config.applicationId(),
                config.applicationServer().host(), iq.port());
        return new StreamsApp(streams, mirror, redis, iq);
    }

    /** After an overflowed mirror backlog, re-mirror this instance's active latest stores once Redis answers again. */
    private static void resyncIfNeeded(KafkaStreams streams, RedisMirror mirror) {
        if (!mirror.resyncNeeded() || streams.state() != KafkaStreams.State.RUNNING) {
            return;
        }
        try {
            org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, com.dbmetrics.schemas.MetricsSnapshot> store =
                    streams.store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                            MetricsTopology.LATEST_STORE,
                            org.apache.kafka.streams.state.QueryableStoreTypes.keyValueStore()));
            try (var it = store.all()) {
                // streamed from RocksDB: the resync holds at most half the mirror's backlog bound in memory
                java.util.Iterator<com.dbmetrics.schemas.MetricsSnapshot> values = new java.util.Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public com.dbmetrics.schemas.MetricsSnapshot next() {
                        return it.next().value;
                    }
                };
                mirror.resync(() -> values);
            }
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            log.debug("Stores not queryable yet; resync later: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Redis resync failed; will retry: {}", e.toString());
        }
    }

    static Properties properties(StreamsAppConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG,
                config.applicationServer().host() + ":" + config.applicationServer().port());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
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

    @Override
    public void close() {
        iq.close();
        streams.close(Duration.ofSeconds(30));
        mirror.close();
        redis.close();
    }
}
