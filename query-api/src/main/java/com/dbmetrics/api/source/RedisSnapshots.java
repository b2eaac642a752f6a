package com.dbmetrics.api.source;

import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.RedisKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the keys the streams-app mirrors (schemas/redis-keys.md), through the breaker. Redis failures, and the
 * breaker's refusals, surface as exceptions.
 */
public final class RedisSnapshots {

    private static final Logger log = LoggerFactory.getLogger(RedisSnapshots.class);

    private final GuardedRedis redis;
    private final JsonSerde<MetricsSnapshot> snapshots;
    private final JsonSerde<PollerStatus> statuses;

    public RedisSnapshots(GuardedRedis redis, JsonSerde<MetricsSnapshot> snapshots, JsonSerde<PollerStatus> statuses) {
        this.redis = redis;
        this.snapshots = snapshots;
        this.statuses = statuses;
    }

    public Optional<MetricsSnapshot> fresh(String databaseId) {
        return read(RedisKeys.fresh(databaseId));
    }

    public Optional<MetricsSnapshot> stale(String databaseId) {
        return read(RedisKeys.stale(databaseId));
    }

    public Optional<PollerStatus> pollerStatus(String breaker) {
        byte[] key = RedisKeys.pollerStatus(breaker).getBytes(StandardCharsets.UTF_8);
        byte[] bytes = redis.call(r -> r.get(key));
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(statuses.parse(bytes));
        } catch (IOException e) {
            log.warn("Ignoring unreadable poller status for breaker={}: {}", breaker, e.getMessage());
            return Optional.empty();
        }
    }

    public boolean ping() {
        return "PONG".equalsIgnoreCase(redis.call(r -> r.ping()));
    }

    private Optional<MetricsSnapshot> read(String key) {
        byte[] raw = key.getBytes(StandardCharsets.UTF_8);
        byte[] bytes = redis.call(r -> r.get(raw));
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(snapshots.parse(bytes));
        } catch (IOException e) {
            // A value that breaks the schema is treated as absent, never served.
            log.warn("Ignoring unreadable snapshot in Redis key {}: {}", key, e.getMessage());
            return Optional.empty();
        }
    }
}
