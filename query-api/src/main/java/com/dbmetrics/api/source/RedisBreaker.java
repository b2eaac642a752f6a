package com.dbmetrics.api.source;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A circuit breaker around every Redis call of the API. A Redis that accepts connections but does not answer (stopped,
 * swapping, a failover in progress) would otherwise cost every request a full timeout. After {@code failuresToOpen}
 * calls in a row failed without an answer (timeout, refused or broken connection, no pooled connection in time) the
 * breaker opens: calls fail at once with {@link Open} (the callers' fallbacks take over: L1, the interactive query,
 * the local rate limiter) until {@code retry} has passed; then the next call is let through as the probe. It closes
 * when the probe is answered, and opens again for another {@code retry} when it is not. An error reply from Redis
 * ({@link JedisDataException}) is an answer: it counts as success here.
 */
public final class RedisBreaker implements MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(RedisBreaker.class);

    /** Thrown instead of calling Redis while the breaker is open; no stack trace (it is a decision, not a fault). */
    public static final class Open extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Open() {
            super("Redis breaker open", null, false, false);
        }
    }

    private static final Open OPEN = new Open();

    private final int failuresToOpen;
    private final long retryNanos;
    private final LongSupplier nanoTime;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    private final AtomicBoolean probing = new AtomicBoolean();
    /** 0 while closed; else when the next probe may go (nanoTime). */
    private volatile long openUntilNanos;
    private final LongAdder opened = new LongAdder();
    private final LongAdder shortCircuited = new LongAdder();
    private final LongAdder failures = new LongAdder();

    public RedisBreaker(int failuresToOpen, Duration retry, LongSupplier nanoTime) {
        if (failuresToOpen < 1 || retry.isNegative() || retry.isZero()) {
            throw new IllegalArgumentException("need failuresToOpen >= 1 and a positive retry");
        }
        this.failuresToOpen = failuresToOpen;
        this.retryNanos = retry.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Runs {@code call} unless the breaker is open (then {@link Open}); its outcome moves the breaker. */
    public <T> T call(Supplier<T> call) {
        boolean probe = false;
        if (openUntilNanos != 0) {
            if (nanoTime.getAsLong() - openUntilNanos < 0 || !probing.compareAndSet(false, true)) {
                shortCircuited.increment();
                throw OPEN;
            }
            probe = true;
        }
        try {
            T result = call.get();
            answered();
            return result;
        } catch (JedisDataException e) {
            answered();
            throw e;
        } catch (JedisException e) {
            failed(probe, e);
            throw e;
        } finally {
            if (probe) {
                probing.set(false);
            }
        }
    }

    private void answered() {
        failuresInARow.set(0);
        if (openUntilNanos != 0) {
            openUntilNanos = 0;
            log.info("Redis answers again: breaker closed");
        }
    }

    private void failed(boolean probe, JedisException e) {
        failures.increment();
        if (probe) {
            openUntilNanos = nanoTime.getAsLong() + retryNanos;
            return;
        }
        if (failuresInARow.incrementAndGet() >= failuresToOpen && openUntilNanos == 0) {
            openUntilNanos = nanoTime.getAsLong() + retryNanos;
            opened.increment();
            log.warn("Redis did not answer {} calls in a row ({}): breaker open, L1, the streams-app and the local "
                    + "rate limiter stand in; next probe in {} ms", failuresToOpen, e.toString(),
                    retryNanos / 1_000_000);
        }
    }

    public boolean isOpen() {
        return openUntilNanos != 0;
    }

    /** Times the breaker opened since start. */
    public long timesOpened() {
        return opened.sum();
    }

    /** Calls refused without reaching Redis because the breaker was open. */
    public long shortCircuited() {
        return shortCircuited.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dbm_api_redis_breaker_open", this, b -> b.isOpen() ? 1 : 0)
                .description("1 while the API's Redis breaker is open (Redis calls fail at once)").register(registry);
        FunctionCounter.builder("dbm_api_redis_breaker_opened", opened, LongAdder::sum)
                .description("Times the API's Redis breaker opened").register(registry);
        FunctionCounter.builder("dbm_api_redis_short_circuited", shortCircuited, LongAdder::sum)
                .description("Redis calls not made because the breaker was open").register(registry);
        FunctionCounter.builder("dbm_api_redis_failures", failures, LongAdder::sum)
                .description("Redis calls that got no answer (timeout, connection refused or broken, pool exhausted)")
                .register(registry);
    }
}
