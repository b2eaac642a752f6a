package com.dbmetrics.streams.redis;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.streams.topology.MirrorTarget;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Mirrors accepted updates to Redis off the stream thread. Updates wait in a map keyed by database id (only the newest
 * per database is kept, so memory is bounded by the number of databases and by {@code maxPending}); a flusher thread
 * writes them every {@code flushInterval}, pipelined, each through one Lua script that guards by event time and writes
 * the fresh and stale keys together. Redis down: the backlog stays and is retried with exponential backoff; if it
 * overflowed, {@link #resyncNeeded()} tells the app to re-mirror the whole store after recovery.
 *
 * <p>{@link #lagSeconds()} is the age of the oldest update not yet in Redis. It costs one clock read when the backlog
 * goes from empty to non-empty (at most one per flush cycle), none per record: the oldest update is the one that made
 * the backlog non-empty, and a failed flush puts its batch back with that age.
 */
public final class RedisMirror implements MirrorTarget, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisMirror.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final JedisPooled redis;
    private final ObjectMapper mapper;
    private final Duration redisTtl;
    private final Duration flushInterval;
    private final int maxPending;
    private final String script;
    private volatile String scriptSha;

    private final LongSupplier nanoTime;
    private final Object lock = new Object();
    private Map<String, Pending> pending = new LinkedHashMap<>();
    private Map<String, byte[]> pendingStatus = new LinkedHashMap<>();
    /** When the backlog last went from empty to non-empty; meaningful while it is non-empty. Guarded by lock. */
    private long pendingSince;
    /** Flushes under way (the flusher's, and the resync's probe) and when the oldest of their updates was queued. */
    private int flushing;
    private long flushingSince;
    private final AtomicBoolean resyncNeeded = new AtomicBoolean();
    private final Thread flusher;
    private volatile boolean running = true;

    public final LongAdder written = new LongAdder();
    public final LongAdder skippedOlder = new LongAdder();
    public final LongAdder failedFlushes = new LongAdder();
    public final LongAdder overflowed = new LongAdder();
    public final LongAdder resyncs = new LongAdder();

    private record Pending(String databaseId, long eventMillis, byte[] json, long freshTtlMillis) {}

    public RedisMirror(JedisPooled redis, ObjectMapper mapper, Duration redisTtl, Duration flushInterval,
            int maxPending) {
        this(redis, mapper, redisTtl, flushInterval, maxPending, System::nanoTime);
    }

    /** {@code nanoTime} is the clock of {@link #lagSeconds()} (a fake in tests). */
    RedisMirror(JedisPooled redis, ObjectMapper mapper, Duration redisTtl, Duration flushInterval, int maxPending,
            LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.redis = redis;
        this.mapper = mapper;
        this.redisTtl = redisTtl;
        this.flushInterval = flushInterval;
        this.maxPending = maxPending;
        this.script = loadScript();
        this.flusher = new Thread(this::flushLoop, "redis-mirror");
        this.flusher.setDaemon(true);
        this.flusher.start();
    }

    /** Mirrors a snapshot not yet serialised (the resync from the store). */
    public void snapshot(MetricsSnapshot snapshot) {
        snapshot(snapshot, write(snapshot));
    }

    @Override
    public void snapshot(MetricsSnapshot snapshot, byte[] json) {
        long freshTtl = Math.max(redisTtl.toMillis(), (snapshot.intervalSeconds() + 5) * 1000L);
        enqueue(new Pending(snapshot.databaseId(), snapshot.timestamp().toEpochMilli(), json, freshTtl));
    }

    @Override
    public void tombstone(String databaseId, long eventMillis) {
        enqueue(new Pending(databaseId, eventMillis, null, 0));
    }

    @Override
    public void pollerStatus(PollerStatus status) {
        byte[] json = write(status);
        synchronized (lock) {
            markNonEmpty();
            pendingStatus.put(status.breaker(), json);
        }
    }

    /** Whether updates were dropped because the backlog was full; the caller then re-mirrors the store. */
    public boolean resyncNeeded() {
        return resyncNeeded.get();
    }

    /**
     * Re-mirrors every snapshot of {@code store} (the streams-app's latest store) after the backlog overflowed while
     * Redis was away, feeding the flusher in chunks so memory stays bounded. The Lua guard makes it safe to write what
     * Redis may already have. Returns false, leaving the flag set, when Redis is still failing.
     */
    public boolean resync(Iterable<MetricsSnapshot> store) throws InterruptedException {
        if (!resyncNeeded.get()) {
            return true;
        }
        if (!flushOnce()) {
            return false;
        }
        resyncNeeded.set(false); // updates from now on are queued again; the store walk covers the ones dropped before
        long count = 0;
        for (MetricsSnapshot snapshot : store) {
            while (backlog() >= maxPending / 2) {
                Thread.sleep(Math.max(1, flushInterval.toMillis()));
                if (!running) {
                    return false;
                }
            }
            snapshot(snapshot);
            count++;
        }
        resyncs.increment();
        log.info("Redis mirror resynced {} snapshots from the store after an overflowed backlog", count);
        return true;
    }

    public int backlog() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /**
     * Waits until nothing is queued or being flushed: every update handed over before has been written to Redis or
     * refused by the guard, and the counters include it. For bulk writers that then exit ({@code resync-redis}); it
     * polls the backlog once per flush interval and adds nothing to the path of an update. Returns false when
     * {@code timeout} passed first (Redis failing; the backlog stays queued and retried).
     */
    public boolean awaitFlushed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            synchronized (lock) {
                if (pending.isEmpty() && pendingStatus.isEmpty() && flushing == 0) {
                    return true;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(Math.max(1, flushInterval.toMillis()));
        }
    }

    /** Seconds the oldest update not yet written to Redis has waited (queued or being flushed); 0 when none. */
    public double lagSeconds() {
        synchronized (lock) {
            long oldest;
            if (flushing > 0) {
                oldest = flushingSince; // queued before anything still pending
            } else if (!pending.isEmpty() || !pendingStatus.isEmpty()) {
                oldest = pendingSince;
            } else {
                return 0;
            }
            return Math.max(0, nanoTime.getAsLong() - oldest) / 1e9;
        }
    }

    /** Called under lock before adding to the backlog. */
    private void markNonEmpty() {
        if (pending.isEmpty() && pendingStatus.isEmpty()) {
            pendingSince = nanoTime.getAsLong();
        }
    }

    private void enqueue(Pending update) {
        synchronized (lock) {
            Pending previous = pending.get(update.databaseId());
            if (previous != null && previous.eventMillis() >= update.eventMillis()) {
                return;
            }
            if (previous == null && pending.size() >= maxPending) {
                overflowed.increment();
                if (resyncNeeded.compareAndSet(false, true)) {
                    log.error("Redis mirror backlog is full ({} databases); dropping updates until Redis recovers, "
                            + "then re-mirroring the whole store", maxPending);
                }
                return;
            }
            markNonEmpty();
            pending.put(update.databaseId(), update);
        }
    }

    private void flushLoop() {
        long backoffMs = 0;
        while (running) {
            try {
                Thread.sleep(backoffMs > 0 ? backoffMs : flushInterval.toMillis());
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
            if (flushOnce()) {
                backoffMs = 0;
            } else {
                backoffMs = Math.min(MAX_BACKOFF.toMillis(), Math.max(50, backoffMs * 2));
            }
        }
        flushOnce();
    }

    /** Writes the whole backlog in one pipeline; returns false (and keeps the backlog) when Redis failed. */
    boolean flushOnce() {
        Map<String, Pending> batch;
        Map<String, byte[]> statuses;
        synchronized (lock) {
            if (pending.isEmpty() && pendingStatus.isEmpty()) {
                return true;
            }
            batch = pending;
            statuses = pendingStatus;
            pending = new LinkedHashMap<>();
            pendingStatus = new LinkedHashMap<>();
            if (flushing++ == 0) { // a concurrent flush is older: keep its time until both are done (an overstatement)
                flushingSince = pendingSince;
            }
        }
        try {
            String sha = scriptSha();
            List<Response<Object>> results = new ArrayList<>(batch.size());
            try (AbstractPipeline pipeline = redis.pipelined()) {
                for (Pending p : batch.values()) {
                    results.add(pipeline.evalsha(sha, List.of(RedisKeys.fresh(p.databaseId()),
                                    RedisKeys.stale(p.databaseId()), timeKey(p.databaseId())),
                            List.of(Long.toString(p.eventMillis()),
                                    p.json() == null ? "" : new String(p.json(), StandardCharsets.UTF_8),
                                    Long.toString(p.freshTtlMillis()),
                                    Long.toString(RedisKeys.STALE_TTL_SECONDS * 1000L))));
                }
                statuses.forEach((breaker, json) ->
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
            synchronized (lock) {
                flushing--;
            }
            return true;
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
                scriptSha = null; // Redis restarted and lost the script: load it again on the next flush
            }
            requeue(batch, statuses, e);
            return false;
        } catch (RuntimeException e) {
            requeue(batch, statuses, e);
            return false;
        }
    }

    private void requeue(Map<String, Pending> batch, Map<String, byte[]> statuses, RuntimeException cause) {
        failedFlushes.increment();
        log.warn("Redis mirror flush of {} updates failed, retrying with backoff: {}", batch.size(), cause.toString());
        synchronized (lock) {
            batch.values().forEach(this::enqueue);
            statuses.forEach(pendingStatus::putIfAbsent);
            flushing--;
            if (!pending.isEmpty() || !pendingStatus.isEmpty()) {
                pendingSince = flushingSince; // the requeued updates have waited since then
            }
        }
    }

    private String scriptSha() {
        String sha = scriptSha;
        if (sha == null) {
            sha = redis.scriptLoad(script);
            scriptSha = sha;
        }
        return sha;
    }

    /** Event time of the stored copy, so the guard never parses JSON inside Redis (see schemas/redis-keys.md). */
    public static String timeKey(String databaseId) {
        return RedisKeys.eventTime(databaseId);
    }

    private byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    private static String loadScript() {
        try (InputStream in = RedisMirror.class.getResourceAsStream("/redis/upsert-snapshot.lua")) {
            if (in == null) {
                throw new IllegalStateException("redis/upsert-snapshot.lua is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        running = false;
        flusher.interrupt();
        try {
            flusher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
