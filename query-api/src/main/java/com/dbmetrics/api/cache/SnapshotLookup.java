package com.dbmetrics.api.cache;

import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.api.source.SnapshotFeed;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read path's layers: Caffeine L1 → Redis fresh key → interactive query → Redis stale copy. Concurrent misses for
 * one database coalesce into a single lookup (Caffeine computes each key once); only found snapshots stay in L1, for
 * the TTL from when they were read. An L1 hit past half the TTL has the entry refreshed from Redis in the background
 * ({@link L1Refresh}; from the streams-app when Redis cannot), so a database read at least once per half TTL never
 * makes a reader wait for Redis or the streams-app; the TTL still bounds how old an L1 answer can be. Which
 * domain/project a snapshot belongs to is checked by the caller, on every answer whatever layer gave it.
 */
public final class SnapshotLookup implements MeterBinder, AutoCloseable, SnapshotFeed.Listener {

    private static final Logger log = LoggerFactory.getLogger(SnapshotLookup.class);
    /** Refreshes waiting for the refresh thread at most; beyond it a refresh is cancelled and a later hit retries. */
    static final int REFRESH_QUEUE = 10_000;
    private final LoadingCache<String, L1Entry> l1;
    private final Ticker ticker;
    private final long ttlNanos;
    private final L2Reads redis;
    private final IqClient iq;
    private final Executor refresher;
    private final L1Stats stats = new L1Stats();
    private final L1Refresh refresh;
    /** What L1 held of each database when it left L1 (expired or evicted), kept as long as Redis' stale copy. */
    private final Cache<String, Lookup.Found> served;
    private final LongAdder keptNewer = new LongAdder();

    private final LongAdder l2Hits = new LongAdder();
    private final LongAdder sourceHits = new LongAdder();
    private final LongAdder staleHits = new LongAdder();
    private final LongAdder iqFailures = new LongAdder();
    private final LongAdder feedReplaced = new LongAdder();
    private final LongAdder iqLate = new LongAdder();
    private volatile Timer iqReads;

    /** L1 of {@code ttl}, at most {@code maxEntries} databases, on {@code ticker}; refreshed by a thread of its own. */
    public SnapshotLookup(RedisSnapshots redis, IqClient iq, Duration ttl, int maxEntries, Ticker ticker) {
        this(redis, iq, ttl, maxEntries, ticker, refreshThread());
    }

    SnapshotLookup(RedisSnapshots redis, IqClient iq, Duration ttl, int maxEntries, Ticker ticker,
            Executor refresher) {
        this.redis = new L2Reads(redis);
        this.iq = iq;
        this.ticker = ticker;
        this.ttlNanos = ttl.toNanos();
        this.refresher = refresher;
        this.refresh = new L1Refresh(this.redis, this::askIq, refresher, ticker, ttlNanos);
        this.served = Caffeine.newBuilder().maximumSize(maxEntries).ticker(ticker)
                .expireAfterWrite(Duration.ofSeconds(RedisKeys.STALE_TTL_SECONDS)).build();
        this.l1 = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(ticker)
                .expireAfter(new Expiry<String, L1Entry>() {
                    @Override
                    public long expireAfterCreate(String key, L1Entry entry, long currentTime) {
                        return entry.nanosLeft(currentTime);
                    }

                    @Override
                    public long expireAfterUpdate(String key, L1Entry entry, long currentTime, long currentDuration) {
                        return entry.nanosLeft(currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, L1Entry entry, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .refreshAfterWrite(Duration.ofNanos(Math.max(1, ttlNanos / 2)))
                .evictionListener((String id, L1Entry entry, RemovalCause cause) -> {
                    if (id != null && entry != null) {
                        served.put(id, entry.found());
                    }
                })
                .recordStats(() -> stats)
                .build(refresh);
    }

    /** One thread, created on the first refresh; a bounded queue, whose overflow {@link L1Refresh} cancels. */
    private static ThreadPoolExecutor refreshThread() {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(REFRESH_QUEUE), r -> {
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
        // a hit answers what L1 held as the read began, even when the refresh that getIfPresent may start ends at
        // once (Caffeine then returns the refreshed entry); getIfPresent counts the hit and starts the refresh.
        // Nothing is allocated on this path: nearly every read takes it.
        L1Entry held = l1.policy().getIfPresentQuietly(databaseId);
        return held != null && l1.getIfPresent(databaseId) != null ? held.hit() : miss(databaseId, sourceGate);
    }

    /** Not in L1: loads through Caffeine, so concurrent misses for one database share one load. */
    private Lookup miss(String databaseId, Function<String, Decision> sourceGate) {
        Lookup[] loaded = {null};
        L1Entry current = l1.get(databaseId, id -> {
            Lookup result = load(id, sourceGate);
            loaded[0] = result;
            return result instanceof Lookup.Found found ? L1Entry.loaded(found, ticker.read(), ttlNanos) : null;
        });
        if (loaded[0] != null) {
            return loaded[0];
        }
        // another reader loaded it meanwhile; if that load found nothing to keep, this reader asks for itself
        return current != null ? current.hit() : load(databaseId, sourceGate);
    }

    /**
     * A load never answers older than what this instance answered before: Redis can lose its newest write when a
     * replica without it is promoted (replication is asynchronous), and a reader whose L1 copy expired would then be
     * sent back an interval (found by ./dbm chaos, redis-stop). The newest copy L1 held stays in {@link #served} after
     * it leaves L1; a load older than it answers it instead, until the pipeline writes a newer one.
     */
    private Lookup notBehindServed(String id, Lookup loaded) {
        if (loaded instanceof Lookup.Found found) {
            Lookup.Found before = served.getIfPresent(id);
            if (before != null && before.snapshot().timestamp().isAfter(found.snapshot().timestamp())) {
                keptNewer.increment();
                return new Lookup.Found(before.snapshot(), Layer.L1, before.origin());
            }
        }
        return loaded;
    }

    private Lookup load(String id, Function<String, Decision> sourceGate) {
        return notBehindServed(id, loadFromSources(id, sourceGate));
    }

    private Lookup loadFromSources(String id, Function<String, Decision> sourceGate) {
        boolean redisUp = true;
        try {
            Optional<MetricsSnapshot> fresh = redis.fresh(id);
            if (fresh.isPresent()) {
                l2Hits.increment();
                return new Lookup.Found(fresh.get(), Layer.L2);
            }
        } catch (RuntimeException e) {
            redisUp = false;
            log.warn("Redis read failed for database_id={}: {}", id, e.toString());
        }
        Decision gate = sourceGate.apply(id);
        if (!gate.allowed()) {
            return new Lookup.RateLimited(gate);
        }
        CompletableFuture<Lookup> pending = askIqAsync(id);
        Lookup fromIq = IqClient.within(pending, IqClient.READER_WAIT,
                e -> new Lookup.Unavailable(String.valueOf(e)));
        // Redis' stale copy, read once: the answer now when the streams-app is late, or when it found nothing
        Optional<MetricsSnapshot> stale = Optional.empty();
        if (redisUp && !(fromIq instanceof Lookup.Found)) {
            try {
                stale = redis.stale(id);
            } catch (RuntimeException e) {
                redisUp = false;
            }
        }
        if (fromIq == null) { // the streams-app has not answered yet
            if (stale.isPresent()) {
                iqLate.increment();
                pending.thenAccept(this::lateAnswer);
            } else {
                fromIq = pending.join();
            }
        }
        if (fromIq instanceof Lookup.Found) {
            sourceHits.increment();
            return fromIq;
        }
        if (fromIq instanceof Lookup.Unavailable) {
            iqFailures.increment();
        }
        if (stale.isPresent()) {
            staleHits.increment();
            return new Lookup.Found(stale.get(), Layer.STALE);
        }
        if (fromIq instanceof Lookup.NotFound) {
            return fromIq;
        }
        return new Lookup.Unavailable(redisUp ? "streams-app unavailable" : "Redis and streams-app unavailable");
    }

    /** The streams-app's answer after its reader got the stale copy: into L1 when newer, counted when it failed. */
    private void lateAnswer(Lookup late) {
        if (late instanceof Lookup.Found found) {
            replaceIfNewer(found.snapshot(), Layer.IQ);
        } else if (late instanceof Lookup.Unavailable) {
            iqFailures.increment();
        }
    }

    /** The streams-app's answer on the readers' threads of the client; on the caller's when they are all busy. */
    private CompletableFuture<Lookup> askIqAsync(String id) {
        return iq.async(() -> askIq(id));
    }

    private Lookup askIq(String id) {
        Timer timer = iqReads;
        return timer == null ? iq.snapshot(id) : timer.record(() -> iq.snapshot(id));
    }

    /**
     * The live feed's snapshot, just made visible in Redis, replaces an older L1 copy of its database at once (for a
     * new TTL), so L1 answers are as fresh as Redis (issue: answers as fresh as the pipeline); a database that is not
     * in L1 stays out (nobody read it lately).
     */
    @Override
    public void snapshot(MetricsSnapshot snapshot) {
        if (replaceIfNewer(snapshot, Layer.L2)) {
            feedReplaced.increment();
        }
    }

    /** Replaces the L1 copy of the snapshot's database when it is older (for a new TTL); whether it did. */
    private boolean replaceIfNewer(MetricsSnapshot snapshot, Layer layer) {
        boolean[] replaced = {false};
        l1.asMap().computeIfPresent(snapshot.databaseId(), (id, held) -> {
            if (!held.snapshot().timestamp().isBefore(snapshot.timestamp())) {
                return held;
            }
            replaced[0] = true;
            return L1Entry.loaded(new Lookup.Found(snapshot, layer), ticker.read(), ttlNanos);
        });
        return replaced[0];
    }

    /** A removed database leaves L1 at once (its keys are gone from Redis too). */
    @Override
    public void removed(String databaseId, long eventMillis) {
        l1.invalidate(databaseId);
        served.invalidate(databaseId);
    }

    /** Databases in L1 now (approximately: expired entries leave on Caffeine's next maintenance). */
    public long size() {
        return l1.estimatedSize();
    }

    public long l1Hits() {
        return stats.hits();
    }

    public long l2Hits() {
        return l2Hits.sum();
    }

    public long sourceHits() {
        return sourceHits.sum();
    }

    public long staleHits() {
        return staleHits.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        stats.bindTo(registry);
        redis.bindTo(registry);
        refresh.bindTo(registry);
        iqReads = Timer.builder("dbm_api_iq_reads").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
        FunctionCounter.builder("dbm_api_l2_hits", l2Hits, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_source_hits", sourceHits, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_stale_hits", staleHits, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_iq_failures", iqFailures, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_l1_kept_newer", keptNewer, LongAdder::sum)
                .description("Loads older than the snapshot this instance had answered (Redis lost a write), answered"
                        + " with that one").register(registry);
        FunctionCounter.builder("dbm_api_iq_late", iqLate, LongAdder::sum)
                .description("Reads answered Redis' stale copy because the streams-app had not answered within "
                        + IqClient.READER_WAIT.toMillis() + " ms").register(registry);
        FunctionCounter.builder("dbm_api_l1_feed_replaced", feedReplaced, LongAdder::sum)
                .description("L1 copies replaced by a newer snapshot from the live feed").register(registry);
        Gauge.builder("dbm_api_memory_cache_size", this, SnapshotLookup::size).register(registry);
    }

    /** Stops the refresh thread (a refresh running is interrupted; L1 keeps answering what it holds). */
    @Override
    public void close() {
        if (refresher instanceof ExecutorService service) {
            service.shutdownNow();
        }
    }
}
