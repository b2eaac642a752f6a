package com.dbmetrics.api.load;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Bounds the work in the API: at most {@code maxConcurrent} requests run at once, at most {@code maxQueued} wait for
 * a slot, and how long one may wait depends on whether the queue is a burst or a standing queue (controlled delay, as
 * in "Fail at Scale", ACM Queue 2015, and CoDel): while the queue has been empty at some moment within the last
 * {@code queueWait}, a request may wait up to {@code queueWait} (a burst, e.g. after a GC pause, is absorbed, not
 * refused); once it has not been empty for longer than that, the instance is overloaded and a request may wait only
 * {@code overloadWait}. A request that finds the queue full, or waits out its time, is refused at once: the caller
 * answers 503 with {@code Retry-After}, so the requests admitted keep their latency and nothing queues without bound.
 * When the load drops the queue empties and the longer wait applies again by itself.
 *
 * <p>Slots bound CPU contention, not only threads: a request that finds no slot costs its parse and a short answer.
 */
public final class LoadShedder implements MeterBinder {

    /** Why a request was refused. */
    public enum Refusal {
        /** {@code maxQueued} requests were waiting already. */
        QUEUE_FULL,
        /** No slot freed within the wait allowed. */
        WAITED_TOO_LONG
    }

    private final int maxConcurrent;
    private final int maxQueued;
    private final long queueWaitNanos;
    private final long overloadWaitNanos;
    private final LongSupplier nanoTime;
    private final Semaphore slots;
    private final AtomicInteger queued = new AtomicInteger();
    private volatile long lastEmptyNanos;
    private final LongAdder admitted = new LongAdder();
    private final LongAdder queueFull = new LongAdder();
    private final LongAdder waitedTooLong = new LongAdder();

    public LoadShedder(int maxConcurrent, int maxQueued, Duration queueWait, Duration overloadWait,
            LongSupplier nanoTime) {
        if (maxConcurrent < 1 || maxQueued < 0 || overloadWait.compareTo(queueWait) > 0) {
            throw new IllegalArgumentException("need maxConcurrent >= 1, maxQueued >= 0, overloadWait <= queueWait");
        }
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.queueWaitNanos = queueWait.toNanos();
        this.overloadWaitNanos = overloadWait.toNanos();
        this.nanoTime = nanoTime;
        this.slots = new Semaphore(maxConcurrent);
        this.lastEmptyNanos = nanoTime.getAsLong();
    }

    /**
     * Takes a slot, waiting as long as allowed; null when admitted (then {@link #release()} exactly once), else why
     * not. Blocks the calling thread for at most the wait allowed.
     */
    public Refusal acquire() throws InterruptedException {
        if (queued.get() == 0 && slots.tryAcquire()) {
            lastEmptyNanos = nanoTime.getAsLong();
            admitted.increment();
            return null;
        }
        if (queued.incrementAndGet() > maxQueued) {
            leaveQueue();
            queueFull.increment();
            return Refusal.QUEUE_FULL;
        }
        try {
            if (slots.tryAcquire(allowedWaitNanos(), TimeUnit.NANOSECONDS)) {
                admitted.increment();
                return null;
            }
        } finally {
            leaveQueue();
        }
        waitedTooLong.increment();
        return Refusal.WAITED_TOO_LONG;
    }

    private void leaveQueue() {
        if (queued.decrementAndGet() == 0) {
            lastEmptyNanos = nanoTime.getAsLong();
        }
    }

    /** Gives back the slot of an admitted request. */
    public void release() {
        slots.release();
    }

    /** How long a request that must queue now may wait: short once the queue has stood for longer than the long wait. */
    long allowedWaitNanos() {
        return overloaded() ? overloadWaitNanos : queueWaitNanos;
    }

    /** Whether the queue has not been empty for longer than the long wait: a standing queue, not a burst. */
    public boolean overloaded() {
        return queued.get() > 0 && nanoTime.getAsLong() - lastEmptyNanos > queueWaitNanos;
    }

    public long refused(Refusal reason) {
        return (reason == Refusal.QUEUE_FULL ? queueFull : waitedTooLong).sum();
    }

    public long refusedTotal() {
        return queueFull.sum() + waitedTooLong.sum();
    }

    public int inFlight() {
        return maxConcurrent - slots.availablePermits();
    }

    public int queued() {
        return Math.max(0, queued.get());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_overload_refused", queueFull, LongAdder::sum).tag("reason", "queue_full")
                .description("Requests answered 503 at once: the queue of requests waiting for a slot was full")
                .register(registry);
        FunctionCounter.builder("dbm_api_overload_refused", waitedTooLong, LongAdder::sum)
                .tag("reason", "waited_too_long")
                .description("Requests answered 503 after waiting the longest allowed for a slot").register(registry);
        FunctionCounter.builder("dbm_api_overload_admitted", admitted, LongAdder::sum)
                .description("Requests given a slot").register(registry);
        Gauge.builder("dbm_api_requests_in_flight", this, LoadShedder::inFlight)
                .description("Requests holding a slot now (at most the configured concurrency)").register(registry);
        Gauge.builder("dbm_api_requests_queued", this, LoadShedder::queued)
                .description("Requests waiting for a slot now").register(registry);
        Gauge.builder("dbm_api_overloaded", this, s -> s.overloaded() ? 1 : 0)
                .description("1 while the queue has stood longer than the longest wait (short waits apply)")
                .register(registry);
    }
}
