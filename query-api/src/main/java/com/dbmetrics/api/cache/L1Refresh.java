package com.dbmetrics.api.cache;

import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refresh ahead for L1, run by Caffeine ({@code refreshAfterWrite}): an entry read after half its TTL is re-read from
 * Redis' fresh key on {@code executor} while readers keep getting the held entry. Caffeine runs one refresh at a time
 * per database and puts what {@link #reload} returns:
 * <ul>
 *   <li>Redis' copy when it is not older: a new entry with a new TTL, counted as {@code dbm_api_l1_refreshes};</li>
 *   <li>otherwise (no fresh key, an older one, Redis down) the streams-app's copy (interactive query) when it is
 *       not older, counted as {@code dbm_api_l1_source_refreshes}: while Redis is down or failing over, a database
 *       read at least once per half TTL is renewed here, in the background, instead of expiring and making its
 *       readers wait for the streams-app together (./dbm chaos redis-failover: one instance's readers of the most
 *       read database queued behind that load for two seconds and it refused 800 requests);</li>
 *   <li>otherwise the held entry {@link L1Entry#kept() kept}: same snapshot, same deadline, and Caffeine's refresh
 *       clock restarted, so it is not re-read on every later hit but expires as it would have.</li>
 * </ul>
 * The streams-app is asked at most once per database and half TTL per instance, the bound a reader's miss would have
 * (the per-database source limit is for readers' misses, which this spares).
 * A refresh the executor refuses (its queue is full, or it is shutting down) is cancelled: Caffeine then keeps the
 * entry untouched and forgets the refresh, so a later hit may try again; no database is left without refreshes.
 * Loads never come here: they go through {@link SnapshotLookup#get}, which knows the reader's source-read limit.
 */
final class L1Refresh implements CacheLoader<String, L1Entry>, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(L1Refresh.class);

    private final L2Reads redis;
    private final Function<String, Lookup> source;
    private final Executor executor;
    private final Ticker ticker;
    private final long ttlNanos;
    private final LongAdder refreshes = new LongAdder();
    private final LongAdder sourceRefreshes = new LongAdder();

    /** {@code source}: the streams-app's answer for a database (its deadline bounds it), asked when Redis cannot. */
    L1Refresh(L2Reads redis, Function<String, Lookup> source, Executor executor, Ticker ticker, long ttlNanos) {
        this.redis = redis;
        this.source = source;
        this.executor = executor;
        this.ticker = ticker;
        this.ttlNanos = ttlNanos;
    }

    @Override
    public L1Entry load(String databaseId) {
        throw new UnsupportedOperationException("L1 loads through SnapshotLookup.get, with the reader's limits");
    }

    @Override
    public CompletableFuture<L1Entry> asyncReload(String databaseId, L1Entry held, Executor cacheExecutor) {
        try {
            return CompletableFuture.supplyAsync(() -> reload(databaseId, held), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new CancellationException("L1 refresh queue full"));
        }
    }

    @Override
    public L1Entry reload(String databaseId, L1Entry held) {
        try {
            Optional<MetricsSnapshot> fresh = redis.fresh(databaseId);
            if (fresh.isPresent() && !fresh.get().timestamp().isBefore(held.snapshot().timestamp())) {
                refreshes.increment();
                return L1Entry.loaded(new Lookup.Found(fresh.get(), Layer.L2), ticker.read(), ttlNanos);
            }
        } catch (RuntimeException e) {
            log.debug("L1 refresh from Redis failed for database_id={}: {}", databaseId, e.toString());
        }
        if (source.apply(databaseId) instanceof Lookup.Found found
                && !found.snapshot().timestamp().isBefore(held.snapshot().timestamp())) {
            sourceRefreshes.increment();
            return L1Entry.loaded(found, ticker.read(), ttlNanos);
        }
        return held.kept();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_l1_refreshes", refreshes, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_l1_source_refreshes", sourceRefreshes, LongAdder::sum)
                .description("L1 entries Redis could not refresh, renewed from the streams-app in the background")
                .register(registry);
    }
}
