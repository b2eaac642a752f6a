package com.dbmetrics.bench;

import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;

/**
 * How the benchmark programs reach Kafka and Redis: as every dbmetrics process does, through the shared
 * {@link KafkaClientSettings} and {@link RedisEndpoint} variables ({@code KAFKA_SECURITY_PROTOCOL},
 * {@code KAFKA_CLIENT_PROPERTIES_FILE}, ..., {@code REDIS_USERNAME}, {@code REDIS_PASSWORD_FILE},
 * {@code REDIS_CA_FILE}), so one program measures a secured and a plaintext service alike. The address given on the
 * command line wins over {@code KAFKA_BOOTSTRAP_SERVERS} and {@code REDIS_URL}; a Redis address without a scheme
 * ({@code host:port}) takes the scheme of {@code REDIS_URL} ({@code rediss} when that is TLS), else {@code redis}.
 */
final class BenchClients {

    private static final int REDIS_TIMEOUT_MS = 10_000;

    private BenchClients() {}

    /** Kafka settings from the environment, bootstrap servers {@code bootstrap}. */
    static KafkaClientSettings kafka(String bootstrap) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(KafkaClientSettings.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
        return KafkaClientSettings.fromEnv(new Env(env));
    }

    /** Client properties (bootstrap servers and security) for {@code bootstrap}, to add a client's own to. */
    static Properties kafkaProperties(String bootstrap) {
        Properties p = new Properties();
        p.putAll(kafka(bootstrap).clientProperties());
        return p;
    }

    /** Redis settings from the environment; {@code address} is a URL or {@code host:port}. */
    static RedisEndpoint redis(String address) {
        Map<String, String> env = new HashMap<>(System.getenv());
        String url = address;
        if (!address.contains("://")) {
            String configured = env.getOrDefault(RedisEndpoint.REDIS_URL, "");
            url = (configured.startsWith("rediss://") ? "rediss://" : "redis://") + address;
        }
        env.put(RedisEndpoint.REDIS_URL, url);
        return RedisEndpoint.fromEnv(new Env(env));
    }

    static JedisPooled pooled(RedisEndpoint redis, String clientName) {
        return new JedisPooled(redis.hostAndPort(), redis.clientConfig(REDIS_TIMEOUT_MS, clientName));
    }

    static Jedis single(RedisEndpoint redis, String clientName) {
        return new Jedis(redis.hostAndPort(), redis.clientConfig(REDIS_TIMEOUT_MS, clientName));
    }
}
