package com.dbmetrics.api.source;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.executors.CommandExecutor;

/**
 * Redis for unit tests of the read path: answers {@code GET} of the keys put here, counts the reads, and fails every
 * command while {@link #down(boolean) down}. Anything else fails loudly.
 */
public final class FakeRedis implements CommandExecutor {

    private static final ObjectMapper MAPPER = Json.newMapper();

    private final Map<String, byte[]> values = new ConcurrentHashMap<>();
    private final AtomicInteger gets = new AtomicInteger();
    private volatile boolean down;

    /** {@link RedisSnapshots} reading this Redis. */
    public RedisSnapshots snapshots() {
        return new RedisSnapshots(GuardedRedis.of(new UnifiedJedis(this)), JsonSerde.snapshots(MAPPER),
                JsonSerde.pollerStatus(MAPPER));
    }

    /** Puts {@code snapshot} as the fresh key of its database. */
    public void putFresh(MetricsSnapshot snapshot) {
        values.put(RedisKeys.fresh(snapshot.databaseId()), json(snapshot));
    }

    public void putStale(MetricsSnapshot snapshot) {
        values.put(RedisKeys.stale(snapshot.databaseId()), json(snapshot));
    }

    public void removeFresh(String databaseId) {
        values.remove(RedisKeys.fresh(databaseId));
    }

    public void putPollerStatus(PollerStatus status) {
        values.put(RedisKeys.pollerStatus(status.breaker()), json(status));
    }

    public void down(boolean down) {
        this.down = down;
    }

    /** GET commands answered (or refused while down) so far. */
    public int gets() {
        return gets.get();
    }

    private static byte[] json(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T executeCommand(CommandObject<T> command) {
        if (command.getArguments().getCommand() != Protocol.Command.GET) {
            throw new UnsupportedOperationException("FakeRedis answers GET only");
        }
        gets.incrementAndGet();
        if (down) {
            throw new JedisConnectionException("Redis is down (test)");
        }
        return (T) values.get(new String(command.getArguments().get(1).getRaw(), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {}
}
