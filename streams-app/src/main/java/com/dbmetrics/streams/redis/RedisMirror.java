package com.dbmetrics.streams.redis;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.streams.topology.MirrorTarget;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Redis mirror of one process, assembled from its parts: accepted updates wait in a {@link MirrorQueue} (the
 * stream threads never wait for Redis), a {@link MirrorFlusher} thread writes them every flush interval through a
 * {@link MirrorWriter} (one pipeline, the event-time guarded Lua script), and a {@link MirrorResync} re-mirrors the
 * store after the queue overflowed. Redis down: the backlog stays and is retried with backoff.
 *
 * <p>Built idle: {@link #start()} starts the flusher, {@link #close()} stops it after a last flush. The Redis client is
 * the caller's to close. Its meters ({@code dbm_streams_mirror_*}) are bound by {@link #bindTo}.
 */
public final class RedisMirror implements MirrorTarget, MeterBinder, AutoCloseable {

    private final MirrorQueue queue;
    private final MirrorWriter writer;
    private final MirrorFlusher flusher;
    private final MirrorResync resync;

    /**
     * @param redisTtl      TTL of the fresh key (never less than a snapshot's interval + 5 s)
     * @param flushInterval how often the flusher writes what waits
     * @param maxPending    databases whose updates may wait before the mirror drops updates and needs a resync
     * @param clock         the process's clock: the lag and the waits of {@link #awaitFlushed} are measured on it
     */
    public RedisMirror(UnifiedJedis redis, ObjectMapper mapper, Duration redisTtl, Duration flushInterval,
            int maxPending, Clock clock) {
        this.queue = new MirrorQueue(mapper, redisTtl, maxPending, clock);
        this.writer = new MirrorWriter(redis);
        this.flusher = new MirrorFlusher(queue, writer, flushInterval);
        this.resync = new MirrorResync(queue, flusher, maxPending, flushInterval);
    }

    /** Starts the flusher thread. */
    public RedisMirror start() {
        flusher.start();
        return this;
    }

    @Override
    public void snapshot(MetricsSnapshot snapshot, byte[] json) {
        queue.snapshot(snapshot, json);
    }

    /** Mirrors a snapshot not yet serialised. */
    public void snapshot(MetricsSnapshot snapshot) {
        queue.snapshot(snapshot);
    }

    @Override
    public void tombstone(String databaseId, long eventMillis) {
        queue.tombstone(databaseId, eventMillis);
    }

    @Override
    public void pollerStatus(PollerStatus status) {
        queue.pollerStatus(status);
    }

    /** Whether updates were dropped because the backlog was full; the caller then re-mirrors the store. */
    public boolean resyncNeeded() {
        return queue.resyncNeeded();
    }

    /**
     * Re-mirrors every snapshot of {@code store} (the streams-app's latest store) if the backlog overflowed; see
     * {@link MirrorResync}. Returns false, leaving the need set, when Redis is still failing.
     */
    public boolean resync(Iterable<MetricsSnapshot> store) throws InterruptedException {
        return resync.resync(store);
    }

    /** Databases whose update waits for Redis. */
    public int backlog() {
        return queue.backlog();
    }

    /** Seconds the oldest update not yet written to Redis has waited (queued or being flushed); 0 when none. */
    public double lagSeconds() {
        return queue.lagSeconds();
    }

    /**
     * Waits until nothing is queued or being flushed: every update handed over before has been written to Redis or
     * refused by the guard, and the counters include it. For bulk writers that then exit ({@code resync-redis}).
     * Returns false when {@code timeout} passed first (Redis failing; the backlog stays queued and retried).
     */
    public boolean awaitFlushed(Duration timeout) throws InterruptedException {
        return queue.awaitIdle(timeout);
    }

    /** Updates written to Redis (snapshots set, tombstones deleted). */
    public long written() {
        return writer.written();
    }

    /** Updates the guard refused because Redis held an equal or newer event time. */
    public long skippedOlder() {
        return writer.skippedOlder();
    }

    long failedFlushes() {
        return writer.failedFlushes();
    }

    /** One flush on the caller's thread (tests drive an unstarted mirror with it). */
    boolean flushOnce() {
        return flusher.flushOnce();
    }

    /** Event time of the stored copy, so the guard never parses JSON inside Redis (see schemas/redis-keys.md). */
    public static String timeKey(String databaseId) {
        return RedisKeys.eventTime(databaseId);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        writer.bindTo(registry);
        queue.bindTo(registry);
        resync.bindTo(registry);
    }

    @Override
    public void close() {
        flusher.close();
    }
}
