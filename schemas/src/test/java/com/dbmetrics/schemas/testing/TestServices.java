package com.dbmetrics.schemas.testing;

import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.schemas.config.RedisTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;

/**
 * The real services of {@code ./dbm test}, as each principal reaches them. Every integration test builds its clients
 * here (or passes these variables to the app it starts), so every test takes the path the apps take in production:
 * SASL_SSL with SCRAM and ACLs to Kafka, TLS and an ACL user to Redis, TLS and basic auth to Prometheus.
 *
 * <p>The variables {@code ./dbm test} exports (see tools/dbm/test.sh): {@code DBM_IT_KAFKA_BOOTSTRAP};
 * {@code DBM_IT_KAFKA_CONFIG_DIR} holding {@code <principal>.properties} (Kafka client security properties: the
 * {@code KAFKA_CLIENT_PROPERTIES_FILE} of that principal); {@code DBM_IT_REDIS_URL}; {@code DBM_IT_REDIS_SENTINELS} and
 * {@code DBM_IT_REDIS_SENTINEL_MASTER} (Sentinel over that Redis and its replica); {@code DBM_IT_REDIS_CLUSTER_NODES}
 * (a Redis Cluster of six nodes); {@code DBM_IT_CA_FILE} (the local
 * CA every TLS service's certificate is signed by); {@code DBM_IT_SECRETS_DIR} holding {@code redis-<user>.password}
 * and {@code prometheus-<user>.password}; {@code DBM_IT_PROMETHEUS_URL}. Without {@code DBM_IT_KAFKA_CONFIG_DIR} /
 * {@code DBM_IT_SECRETS_DIR} the services are taken to be plaintext and anonymous (a stack started with security off).
 */
public final class TestServices {

    /** Kafka principals: the broker's super user, each app, and the operator (reads every topic, may backfill). */
    public static final String KAFKA_ADMIN = "admin";
    public static final String KAFKA_POLLER = "poller";
    public static final String KAFKA_STREAMS = "streams";
    public static final String KAFKA_OPERATOR = "operator";
    /** Redis ACL users. */
    public static final String REDIS_ADMIN = "admin";
    public static final String REDIS_STREAMS = "streams";
    public static final String REDIS_API = "api";
    public static final String REDIS_OPERATOR = "operator";
    /** Prometheus basic-auth users. */
    public static final String PROMETHEUS_POLLER = "poller";

    private TestServices() {
    }

    static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }

    private static String optional(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? null : value;
    }

    /** Whether {@code ./dbm test} started the services secured (the default). */
    public static boolean secured() {
        return optional("DBM_IT_KAFKA_CONFIG_DIR") != null;
    }

    public static String kafkaBootstrap() {
        return required("DBM_IT_KAFKA_BOOTSTRAP");
    }

    /** The local CA's PEM file, or {@code null} when the stack runs without TLS. */
    public static Path caFile() {
        String ca = optional("DBM_IT_CA_FILE");
        return ca == null ? null : Path.of(ca);
    }

    /** {@code KAFKA_BOOTSTRAP_SERVERS} and that principal's {@code KAFKA_CLIENT_PROPERTIES_FILE}: an app's Kafka env. */
    public static Map<String, String> kafkaEnv(String principal) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(KafkaClientSettings.KAFKA_BOOTSTRAP_SERVERS, kafkaBootstrap());
        String dir = optional("DBM_IT_KAFKA_CONFIG_DIR");
        if (dir != null) {
            Path file = Path.of(dir, principal + ".properties");
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("no Kafka client properties for principal " + principal + " in " + dir);
            }
            env.put(KafkaClientSettings.KAFKA_CLIENT_PROPERTIES_FILE, file.toString());
        }
        return env;
    }

    /** Client properties (bootstrap servers included) for a producer, consumer or admin acting as {@code principal}. */
    public static Map<String, Object> kafkaProperties(String principal) {
        return new LinkedHashMap<>(KafkaClientSettings.fromEnv(new Env(kafkaEnv(principal))).clientProperties());
    }

    /** {@code REDIS_URL}, and when secured {@code REDIS_USERNAME}, {@code REDIS_PASSWORD_FILE}, {@code REDIS_CA_FILE}. */
    public static Map<String, String> redisEnv(String user) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(RedisEndpoint.REDIS_URL, required("DBM_IT_REDIS_URL"));
        String secrets = optional("DBM_IT_SECRETS_DIR");
        if (secrets != null) {
            env.put(RedisEndpoint.REDIS_USERNAME, user);
            env.put(RedisEndpoint.REDIS_PASSWORD + "_FILE", Path.of(secrets, "redis-" + user + ".password").toString());
        }
        if (required("DBM_IT_REDIS_URL").startsWith("rediss://") && caFile() != null) {
            env.put(RedisEndpoint.REDIS_CA_FILE, caFile().toString());
        }
        return env;
    }

    public static RedisEndpoint redisEndpoint(String user) {
        return RedisEndpoint.fromEnv(new Env(redisEnv(user)));
    }

    /** A pooled Redis client acting as {@code user}; close it after the test. */
    public static JedisPooled redis(String user) {
        RedisEndpoint endpoint = redisEndpoint(user);
        return new JedisPooled(endpoint.hostAndPort(), endpoint.clientConfig(2_000, "dbm-it-" + user));
    }

    /**
     * {@link #redisEnv} plus the Sentinel topology of {@code ./dbm test} ({@code DBM_IT_REDIS_SENTINELS}: a replica of
     * the test Redis and three sentinels watching it as {@code DBM_IT_REDIS_SENTINEL_MASTER}): an app's env that finds
     * the primary through the sentinels.
     */
    public static Map<String, String> redisSentinelEnv(String user) {
        Map<String, String> env = redisEnv(user);
        env.put(RedisTopology.REDIS_SENTINELS, required("DBM_IT_REDIS_SENTINELS"));
        env.put(RedisTopology.REDIS_SENTINEL_MASTER, required("DBM_IT_REDIS_SENTINEL_MASTER"));
        String secrets = optional("DBM_IT_SECRETS_DIR");
        if (secrets != null) {
            env.put(RedisTopology.REDIS_SENTINEL_PASSWORD + "_FILE",
                    Path.of(secrets, "redis-sentinels.password").toString());
        }
        return env;
    }

    /**
     * {@link #redisEnv} plus the Redis Cluster of {@code ./dbm test} ({@code DBM_IT_REDIS_CLUSTER_NODES}: six nodes,
     * three primaries with a replica each, the same users and TLS as the single Redis).
     */
    public static Map<String, String> redisClusterEnv(String user) {
        Map<String, String> env = redisEnv(user);
        env.put(RedisTopology.REDIS_CLUSTER_NODES, required("DBM_IT_REDIS_CLUSTER_NODES"));
        return env;
    }

    /** A client of that cluster acting as {@code user}; close it after the test. */
    public static UnifiedJedis redisCluster(String user) {
        RedisEndpoint endpoint = RedisEndpoint.fromEnv(new Env(redisClusterEnv(user)));
        return endpoint.open(endpoint.clientConfig(2_000, "dbm-it-cluster-" + user));
    }

    /** A connection to one sentinel of {@link #redisSentinelEnv}; close it after use. */
    public static Jedis sentinel(int index) {
        Map<String, String> env = redisSentinelEnv(REDIS_ADMIN);
        RedisEndpoint endpoint = RedisEndpoint.fromEnv(new Env(env));
        return new Jedis(endpoint.topology().nodes().get(index), endpoint.sentinelClientConfig(2_000, "dbm-it-sentinel"));
    }

    /** {@code PROMETHEUS_URL}, and when secured the user's basic-auth password file and the CA. */
    public static Map<String, String> prometheusEnv(String user) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PROMETHEUS_URL", required("DBM_IT_PROMETHEUS_URL"));
        String secrets = optional("DBM_IT_SECRETS_DIR");
        if (secrets != null) {
            env.put("PROMETHEUS_USERNAME", user);
            env.put("PROMETHEUS_PASSWORD_FILE", Path.of(secrets, "prometheus-" + user + ".password").toString());
        }
        if (required("DBM_IT_PROMETHEUS_URL").startsWith("https://") && caFile() != null) {
            env.put("PROMETHEUS_CA_FILE", caFile().toString());
        }
        return env;
    }
}
