package com.dbmetrics.streams.redis;

import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.redis.LuaScript;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writes one batch of the mirror to Redis in one pipeline: each database through {@code /redis/upsert-snapshot.lua},
 * which compares the event time with the one stored and, only when newer, writes the fresh and stale keys together (or
 * deletes both for a tombstone) and publishes the change on the live feed's channel (schemas/redis-keys.md); each poller status with a plain {@code SET}. Counts what was
 * written, what the guard refused as older, and the flushes Redis failed.
 */
final class MirrorWriter implements MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(MirrorWriter.class);

    private final UnifiedJedis redis;
    private final LuaScript upsert = LuaScript.fromClasspath("/redis/upsert-snapshot.lua");
    private final LongAdder written = new LongAdder();
    private final LongAdder skippedOlder = new LongAdder();
    private final LongAdder failedFlushes = new LongAdder();

    MirrorWriter(UnifiedJedis redis) {
        this.redis = redis;
    }

    /** Writes the batch; false when Redis failed, and the caller keeps the batch to write again. */
    boolean write(MirrorQueue.Batch batch) {
        try {
            String sha = upsert.sha(redis);
            List<Response<Object>> results = new ArrayList<>(batch.updates().size());
            try (AbstractPipeline pipeline = redis.pipelined()) {
                for (MirrorQueue.Update update : batch.updates().values()) {
                    results.add(pipeline.evalsha(sha, keys(update.databaseId()), arguments(update)));
                }
                batch.statuses().forEach((breaker, json) ->
                        pipeline.set(RedisKeys.pollerStatus(breaker), new String(json, StandardCharsets.UTF_8)));
                pipeline.sync();
            }
            for (Response<Object> result : results) {
                if (Long.valueOf(1).equals(result.get())) {
                    written.increment();
                } else {
                    skippedOlder.increment();
                }
            }
            return true;
        } catch (JedisDataException e) {
            upsert.forgotten(e); // NOSCRIPT: Redis restarted and lost the script; loaded again on the next write
            return failed(batch, e);
        } catch (RuntimeException e) {
            return failed(batch, e);
        }
    }

    private boolean failed(MirrorQueue.Batch batch, RuntimeException cause) {
        failedFlushes.increment();
        log.warn("Redis mirror flush of {} updates failed, retrying with backoff: {}", batch.updates().size(),
                cause.toString());
        return false;
    }

    /** Fresh, stale and event-time key: one hash tag, so one Redis Cluster slot. */
    private static List<String> keys(String databaseId) {
        return List.of(RedisKeys.fresh(databaseId), RedisKeys.stale(databaseId), RedisKeys.eventTime(databaseId));
    }

    private static List<String> arguments(MirrorQueue.Update update) {
        String removal = update.json() != null ? ""
                : "{\"database_id\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(update.databaseId()))
                        + "\",\"timestamp\":" + update.eventMillis() + "}";
        return List.of(Long.toString(update.eventMillis()),
                update.json() == null ? "" : new String(update.json(), StandardCharsets.UTF_8),
                Long.toString(update.freshTtlMillis()),
                Long.toString(RedisKeys.STALE_TTL_SECONDS * 1000L),
                RedisKeys.SNAPSHOTS_CHANNEL, RedisKeys.REMOVED_CHANNEL, removal);
    }

    long written() {
        return written.sum();
    }

    long skippedOlder() {
        return skippedOlder.sum();
    }

    long failedFlushes() {
        return failedFlushes.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_mirror_written", written, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_streams_mirror_skipped_older", skippedOlder, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_streams_mirror_failed_flushes", failedFlushes, LongAdder::sum)
                .register(registry);
    }
}
