package com.dbmetrics.api.cache;

import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The read path's snapshot reads from Redis (loads and L1 refreshes alike), timed as {@code dbm_api_redis_reads};
 * failures counted as {@code dbm_api_redis_errors} and rethrown for the caller to fall back.
 */
final class L2Reads implements MeterBinder {

    private final RedisSnapshots redis;
    private final LongAdder errors = new LongAdder();
    private volatile Timer reads;

    L2Reads(RedisSnapshots redis) {
        this.redis = redis;
    }

    Optional<MetricsSnapshot> fresh(String databaseId) {
        return timed(() -> redis.fresh(databaseId));
    }

    Optional<MetricsSnapshot> stale(String databaseId) {
        return timed(() -> redis.stale(databaseId));
    }

    private Optional<MetricsSnapshot> timed(Supplier<Optional<MetricsSnapshot>> read) {
        try {
            Timer timer = reads;
            return timer == null ? read.get() : timer.record(read);
        } catch (RuntimeException e) {
            errors.increment();
            throw e;
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        reads = Timer.builder("dbm_api_redis_reads").publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(2)).register(registry);
        FunctionCounter.builder("dbm_api_redis_errors", errors, LongAdder::sum).register(registry);
    }
}
