package com.dbmetrics.api.cache;

import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy.VarExpiration;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import com.dbmetrics.api.ratelimit.Decision;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read path's layers: Caffeine L1 → Redis fresh key → interactive query → Redis stale copy. Concurrent misses for
 * one database coalesce into a single lookup (Caffeine computes each key once); only found snapshots stay in L1.
 * Refresh ahead: an L1 hit on an entry past half its TTL has the entry re-read from Redis in the background (once at
 * a time per database), so a database read at least once per half TTL never makes a reader wait for Redis; the TTL
 * still bounds how old an L1 answer can be.
 */
public final class SnapshotLookup {

    private static final Logger log = LoggerFactory.getLogger(SnapshotLookup.class);

    private final Cache<String, Lookup> l1;
    private final RedisSnapshots redis;
    private final IqClient iq;

    public final LongAdder l1Hits = new LongAdder();
    public final LongAdder l2Hits = new LongAdder();
    public final LongAdder sourceHits = new LongAdder();
    public final LongAdder staleHits = new LongAdder();
    public final LongAdder redisErrors = new LongAdder();
    public final LongAdder iqFailures = new LongAdder();

    public final LongAdder refreshes = new LongAdder();

    private final Timer redisTimer;
    private final Timer iqTimer;
    private final long refreshAfterNanos;
    private final VarExpiration<String, Lookup> expiration;
    /**
     * The entry each database's last refresh started from: a refresh starts only from an entry not tried yet, so an
     * entry that Redis could not replace (no fresh key, an older one, Redis down) is not re-read on every later hit
     * but left to expire; a successful refresh puts a new entry, which may be refreshed in its turn.
     */
    private final Map<String, MetricsSnapshot> refreshedFrom = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final ThreadPoolExecutor refresher;

    public SnapshotLookup(RedisSnapshots redis, IqClient iq, Duration ttl, int maxEntries, Ticker ticker,
            MeterRegistry registry) {
        this.redis = redis;
        this.iq = iq;
        this.redisTimer = Timer.builder("dbm_api_redis_reads").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(2)).register(registry);
        this.iqTimer = Timer.builder("dbm_api_iq_reads").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
        long ttlNanos = ttl.toNanos();
        this.l1 = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(ticker)
                .expireAfter(new Expiry<String, Lookup>() {
                    @Override
                    public long expireAfterCreate(String key, Lookup value, long currentTime) {
                        return value instanceof Lookup.Found ? ttlNanos : 0;
                    }

                    @Override
                    public long expireAfterUpdate(String key, Lookup value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, Lookup value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
        this.refreshAfterNanos = ttlNanos / 2;
        this.maxEntries = maxEntries;
        this.expiration = l1.policy().expireVariably().orElseThrow();
        this.refresher = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000),
                r -> {
                    Thread t = new Thread(r, "l1-refresh");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * Looks {@code databaseId} up; {@code sourceGate} decides whether a read may reach the streams-app (the
     * per-database limit).
     */
    public Lookup get(String databaseId, Function<String, Decision> sourceGate) {
        boolean[] loadedNow = {false};
        Lookup result = l1.get(databaseId, id -> {
            loadedNow[0] = true;
            return load(id, sourceGate);
        });
        if (result instanceof Lookup.Found found && !loadedNow[0]) {
            l1Hits.increment();
            refreshIfOld(databaseId, found.snapshot());
            return new Lookup.Found(found.snapshot(), Layer.L1, found.origin());
        }
        return result;
    }

    private void refreshIfOld(String databaseId, MetricsSnapshot held) {
        OptionalLong left = expiration.getExpiresAfter(databaseId, TimeUnit.NANOSECONDS);
        if (left.isPresent() && left.getAsLong() < refreshAfterNanos && refreshedFrom.put(databaseId, held) != held) {
            if (refreshedFrom.size() > maxEntries) { // ids that left L1 long ago; at worst one extra refresh each
                refreshedFrom.clear();
            }
            try {
                refresher.execute(() -> refresh(databaseId, held));
            } catch (RejectedExecutionException e) { // queue full, or shutting down: a later hit may try again
                refreshedFrom.remove(databaseId, held);
            }
        }
    }

    /** Replaces the L1 entry by Redis' fresh copy when that is not older; otherwise the entry expires as it would. */
    private void refresh(String databaseId, MetricsSnapshot held) {
        try {
            Optional<MetricsSnapshot> fresh = redisTimer.record(() -> redis.fresh(databaseId));
            if (fresh.isPresent() && !fresh.get().timestamp().isBefore(held.timestamp())) {
                l1.put(databaseId, new Lookup.Found(fresh.get(), Layer.L2));
                refreshes.increment();
            }
        } catch (RuntimeException e) {
            redisErrors.increment();
            log.debug("L1 refresh from Redis failed for database_id={}: {}", databaseId, e.toString());
        }
    }

    /** Stops the background refresh. */
    public void close() {
        refresher.shutdownNow();
    }

    public long size() {
        return l1.estimatedSize();
    }

    private Lookup load(String id, Function<String, Decision> sourceGate) {
        boolean redisUp = true;
        try {
            Optional<MetricsSnapshot> fresh = redisTimer.record(() -> redis.fresh(id));
            if (fresh.isPresent()) {
                l2Hits.increment();
                return new Lookup.Found(fresh.get(), Layer.L2);
            }
        } catch (RuntimeException e) {
            redisUp = false;
            redisErrors.increment();
            log.warn("Redis read failed for database_id={}: {}", id, e.toString());
        }
        Decision gate = sourceGate.apply(id);
        if (!gate.allowed()) {
            return new Lookup.RateLimited(gate);
        }
        Lookup fromIq = iqTimer.record(() -> iq.snapshot(id));
        if (fromIq instanceof Lookup.Unavailable) {
            iqFailures.increment();
        }
        if (fromIq instanceof Lookup.Found) {
            sourceHits.increment();
            return fromIq;
        }
        if (redisUp) {
            try {
                Optional<MetricsSnapshot> stale = redisTimer.record(() -> redis.stale(id));
                if (stale.isPresent()) {
                    staleHits.increment();
                    return new Lookup.Found(stale.get(), Layer.STALE);
                }
            } catch (RuntimeException e) {
                redisUp = false;
                redisErrors.increment();
            }
        }
        if (fromIq instanceof Lookup.NotFound) {
            return fromIq;
        }
        return new Lookup.Unavailable(redisUp ? "streams-app unavailable" : "Redis and streams-app unavailable");
    }
}
