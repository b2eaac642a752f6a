package com.dbmetrics.streams;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.streams.query.IqServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Everything the streams-app is configured with; {@link #fromEnv} reads it and the constructor refuses bad values.
 * Kafka is reached as {@link KafkaClientSettings} say and Redis as {@link RedisEndpoint} says (the variables every
 * process shares); the internal API listens on {@link #STREAMS_IQ_BIND_HOST} and answers only requests carrying
 * {@link InternalToken}.
 */
public record StreamsAppConfig(
        KafkaClientSettings kafka,
        RedisEndpoint redis,
        String applicationId,
        HostInfo applicationServer,
        String iqBindHost,
        InternalToken iqToken,
        String managementBindHost,
        int managementPort,
        Path stateDir,
        String processingGuarantee,
        Duration commitInterval,
        int standbyReplicas,
        int streamThreads,
        Duration redisTtl,
        Duration mirrorFlushInterval,
        int mirrorMaxBacklog,
        Duration historyRetention) {

    /** Kafka bootstrap servers (read with the rest of {@link KafkaClientSettings}). */
    public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaClientSettings.KAFKA_BOOTSTRAP_SERVERS;
    /** Redis the mirror writes to, e.g. {@code rediss://streams@redis:6379} (read as {@link RedisEndpoint}). */
    public static final String REDIS_URL = RedisEndpoint.REDIS_URL;
    /**
     * Address the interactive-query server binds (default 127.0.0.1, loopback only): set the pod's or host's address,
     * or every interface, when other instances or the query-api reach it from other hosts.
     */
    public static final String STREAMS_IQ_BIND_HOST = "STREAMS_IQ_BIND_HOST";
    /**
     * File holding the shared secret of the internal API (at least 32 bytes), required: every {@code /internal/v1}
     * request must carry it as {@code Authorization: Bearer}; or the secret itself in {@link IqServer#STREAMS_IQ_TOKEN}.
     */
    public static final String STREAMS_IQ_TOKEN_FILE = "STREAMS_IQ_TOKEN_FILE";
    /** Address the management server binds (default 127.0.0.1). */
    public static final String STREAMS_MANAGEMENT_BIND_HOST = "STREAMS_MANAGEMENT_BIND_HOST";
    static final String DEFAULT_BIND_HOST = "127.0.0.1";
    /** Kafka Streams application id (default {@code dbmetrics-streams}). */
    public static final String STREAMS_APPLICATION_ID = "STREAMS_APPLICATION_ID";
    /** host:port of this instance's interactive-query server, as other instances reach it. */
    public static final String STREAMS_APPLICATION_SERVER = "STREAMS_APPLICATION_SERVER";
    /**
     * Port of the management server: {@code /healthz}, {@code /readyz} and {@code /metrics} (default 7072; 0 picks a
     * free one). Apart from the interactive-query port, which serves only {@code /internal/v1/...}.
     */
    public static final String STREAMS_MANAGEMENT_PORT = "STREAMS_MANAGEMENT_PORT";
    static final int DEFAULT_MANAGEMENT_PORT = 7072;
    /** Folder of the RocksDB state stores. */
    public static final String STREAMS_STATE_DIR = "STREAMS_STATE_DIR";
    /** {@code exactly_once_v2} (default) or {@code at_least_once}. */
    public static final String STREAMS_PROCESSING_GUARANTEE = "STREAMS_PROCESSING_GUARANTEE";
    /** Commit interval (default 20 ms: under exactly-once each commit ends a transaction, and longer intervals set
     *  the tail of produce → Redis latency; BENCHMARKS.md). */
    public static final String STREAMS_COMMIT_INTERVAL = "STREAMS_COMMIT_INTERVAL";
    /** Standby replicas of each store (default 0; set 1 when more than one instance runs). */
    public static final String STREAMS_NUM_STANDBY_REPLICAS = "STREAMS_NUM_STANDBY_REPLICAS";
    /**
     * Stream threads (default 2: one per core of a 2-core instance; with one thread a replay or a burst of a whole
     * fleet's tick used one core: 36k snapshots/s, and 1.6-1.7x that with two, BENCHMARKS.md, write-path).
     */
    public static final String STREAMS_NUM_THREADS = "STREAMS_NUM_THREADS";
    static final int DEFAULT_STREAM_THREADS = 2;
    /** TTL of the fresh Redis key; never less than interval + 5 s (default 15 s). */
    public static final String METRICS_CACHE_REDIS_TTL = "METRICS_CACHE_REDIS_TTL";
    /** How often the Redis mirror flushes its pipeline (default 10 ms). */
    public static final String REDIS_MIRROR_FLUSH_INTERVAL = "REDIS_MIRROR_FLUSH_INTERVAL";
    /** Databases whose updates may wait for Redis before the mirror falls back to a resync (default 200000). */
    public static final String REDIS_MIRROR_MAX_BACKLOG = "REDIS_MIRROR_MAX_BACKLOG";
    /**
     * How far back the history store keeps every snapshot of each database (default 1 h; at least 1 minute): what
     * {@code .../metrics/history} can answer. Older snapshots leave the store a segment at a time (up to half the
     * retention later), and a replayed or backfilled snapshot older than that is not stored.
     */
    public static final String STREAMS_HISTORY_RETENTION = "STREAMS_HISTORY_RETENTION";
    static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofHours(1);

    public StreamsAppConfig {
        if (kafka == null) {
            throw new ConfigException(KAFKA_BOOTSTRAP_SERVERS + " must be set");
        }
        if (redis == null) {
            throw new ConfigException(REDIS_URL + " must be set");
        }
        if (iqBindHost == null || iqBindHost.isBlank()) {
            throw new ConfigException(STREAMS_IQ_BIND_HOST + " must not be blank");
        }
        if (managementBindHost == null || managementBindHost.isBlank()) {
            throw new ConfigException(STREAMS_MANAGEMENT_BIND_HOST + " must not be blank");
        }
        if (iqToken == null) {
            throw new ConfigException(STREAMS_IQ_TOKEN_FILE + " (or " + IqServer.STREAMS_IQ_TOKEN + ") must be set: "
                    + "the internal API answers only requests that carry it");
        }
        if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException(STREAMS_APPLICATION_ID + " must match [A-Za-z0-9._-]+ but was " + applicationId);
        }
        if (managementPort < 0 || managementPort > 65535) {
            throw new ConfigException(STREAMS_MANAGEMENT_PORT + " must be 0-65535 but was " + managementPort);
        }
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
                && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
            throw new ConfigException(STREAMS_PROCESSING_GUARANTEE + " must be exactly_once_v2 or at_least_once but was "
                    + processingGuarantee);
        }
        Env.requirePositive(STREAMS_COMMIT_INTERVAL, commitInterval);
        Env.requireAtLeast(STREAMS_NUM_STANDBY_REPLICAS, standbyReplicas, 0);
        Env.requireAtLeast(STREAMS_NUM_THREADS, streamThreads, 1);
        Env.requirePositive(METRICS_CACHE_REDIS_TTL, redisTtl);
        Env.requirePositive(REDIS_MIRROR_FLUSH_INTERVAL, mirrorFlushInterval);
        Env.requireAtLeast(REDIS_MIRROR_MAX_BACKLOG, mirrorMaxBacklog, 1);
        if (historyRetention == null || historyRetention.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new ConfigException(STREAMS_HISTORY_RETENTION + " must be at least 1 minute but was "
                    + historyRetention);
        }
    }

    /**
     * Plaintext, anonymous Kafka and Redis, servers on loopback, a random internal-API token no other process knows,
     * and no management port of its own (port 0, any free one). For programs that run the app inside their own
     * process (the benchmarks), where a fixed port would collide with a streams-app running beside them.
     */
    public StreamsAppConfig(String kafkaBootstrapServers, URI redisUrl, String applicationId,
            HostInfo applicationServer, Path stateDir, String processingGuarantee, Duration commitInterval,
            int standbyReplicas, int streamThreads, Duration redisTtl, Duration mirrorFlushInterval,
            int mirrorMaxBacklog) {
        this(KafkaClientSettings.plaintext(kafkaBootstrapServers), RedisEndpoint.parse(String.valueOf(redisUrl)),
                applicationId, applicationServer, DEFAULT_BIND_HOST, InternalToken.random(), DEFAULT_BIND_HOST, 0, stateDir,
                processingGuarantee, commitInterval, standbyReplicas, streamThreads, redisTtl, mirrorFlushInterval,
                mirrorMaxBacklog, DEFAULT_HISTORY_RETENTION);
    }

    public static StreamsAppConfig fromEnv(Map<String, String> variables) {
        Env env = new Env(variables);
        return fromEnv(env, InternalToken.fromEnv(env, IqServer.STREAMS_IQ_TOKEN));
    }

    /**
     * The configuration of {@code resync-redis}: the same variables, but the command serves no internal API, so
     * {@link #STREAMS_IQ_TOKEN_FILE} is not needed (a random token stands in when it is unset).
     */
    public static StreamsAppConfig forResyncRedis(Map<String, String> variables) {
        Env env = new Env(variables);
        InternalToken token = InternalToken.fromEnv(env, IqServer.STREAMS_IQ_TOKEN);
        return fromEnv(env, token != null ? token : InternalToken.random());
    }

    private static StreamsAppConfig fromEnv(Env env, InternalToken iqToken) {
        return new StreamsAppConfig(
                KafkaClientSettings.fromEnv(env),
                RedisEndpoint.fromEnv(env),
                env.string(STREAMS_APPLICATION_ID, "dbmetrics-streams"),
                parseHost(env.string(STREAMS_APPLICATION_SERVER, "127.0.0.1:7070")),
                env.string(STREAMS_IQ_BIND_HOST, DEFAULT_BIND_HOST),
                iqToken,
                env.string(STREAMS_MANAGEMENT_BIND_HOST, DEFAULT_BIND_HOST),
                env.integer(STREAMS_MANAGEMENT_PORT, DEFAULT_MANAGEMENT_PORT),
                Path.of(env.string(STREAMS_STATE_DIR, "/tmp/dbmetrics-streams")),
                env.string(STREAMS_PROCESSING_GUARANTEE, StreamsConfig.EXACTLY_ONCE_V2),
                env.duration(STREAMS_COMMIT_INTERVAL, Duration.ofMillis(20)),
                env.integer(STREAMS_NUM_STANDBY_REPLICAS, 0),
                env.integer(STREAMS_NUM_THREADS, DEFAULT_STREAM_THREADS),
                env.duration(METRICS_CACHE_REDIS_TTL, Duration.ofSeconds(15)),
                env.duration(REDIS_MIRROR_FLUSH_INTERVAL, Duration.ofMillis(10)),
                env.integer(REDIS_MIRROR_MAX_BACKLOG, 200_000),
                env.duration(STREAMS_HISTORY_RETENTION, DEFAULT_HISTORY_RETENTION));
    }

    static HostInfo parseHost(String value) {
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (colon <= 0 || port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new HostInfo(value.substring(0, colon), port);
        } catch (RuntimeException e) {
            throw new ConfigException(STREAMS_APPLICATION_SERVER + " must be host:port but was " + value);
        }
    }
}
