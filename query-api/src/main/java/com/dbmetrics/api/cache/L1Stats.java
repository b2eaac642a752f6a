package com.dbmetrics.api.cache;

import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.github.benmanes.caffeine.cache.stats.StatsCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Caffeine's statistics of L1, as Caffeine records them ({@code recordStats}): a hit is a read L1 answered, exported
 * as {@code dbm_api_l1_hits}. Misses, loads (a load that finds nothing to keep counts as a failure) and evictions are
 * kept for {@link #snapshot()}.
 */
final class L1Stats implements StatsCounter, MeterBinder {

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loadSuccesses = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder evictedWeight = new LongAdder();

    @Override
    public void recordHits(int count) {
        hits.add(count);
    }

    @Override
    public void recordMisses(int count) {
        misses.add(count);
    }

    @Override
    public void recordLoadSuccess(long loadTime) {
        loadSuccesses.increment();
        loadNanos.add(loadTime);
    }

    @Override
    public void recordLoadFailure(long loadTime) {
        loadFailures.increment();
        loadNanos.add(loadTime);
    }

    @Override
    public void recordEviction(int weight, RemovalCause cause) {
        evictions.increment();
        evictedWeight.add(weight);
    }

    long hits() {
        return hits.sum();
    }

    @Override
    public CacheStats snapshot() {
        return CacheStats.of(hits.sum(), misses.sum(), loadSuccesses.sum(), loadFailures.sum(), loadNanos.sum(),
                evictions.sum(), evictedWeight.sum());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_l1_hits", hits, LongAdder::sum).register(registry);
    }
}
