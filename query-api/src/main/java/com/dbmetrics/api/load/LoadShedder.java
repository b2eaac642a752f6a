package com.dbmetrics.api.load;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Bounds the work in the API: at most the concurrency limit of requests run at once (below), at most {@code maxQueued}
 * wait for a slot (fewer in proportion while the limit is lower than {@code maxConcurrent}), and how long one may wait
 * depends on whether the queue is a burst or a standing queue (controlled delay, as in "Fail at Scale", ACM Queue 2015,
 * and CoDel): while the queue has been empty at some moment within the last {@code queueWait}, a request may wait up
 * to {@code queueWait} (a burst, e.g. after a GC pause, is absorbed, not refused); once it has not been empty for
 * longer than that, the instance is overloaded and a request may wait only {@code overloadWait}. A request that finds
 * the queue full, or waits out its time, is refused at once: the caller answers 503 with {@code Retry-After}, so the
 * requests admitted keep their latency and nothing queues without bound. When the load drops the queue empties and
 * the longer wait applies again by itself.
 *
 * <p>Slots bound CPU contention, not only threads: a request that finds no slot costs its parse and a short answer. How
 * many there are follows the CPU the instance really gets, between {@code minConcurrent} and {@code maxConcurrent}
 * (additive increase, multiplicative decrease, as TCP's congestion window). The signal is the mean time the requests of
 * an interval ({@code queueWait}) held their slot, which is the slots in use over the rate (Little's law). A read from
 * memory takes about a tenth of a millisecond of CPU; a mean above {@code holdTarget} says the requests were waiting
 * for the CPU, each behind the others, and if some found every slot taken, the slots are cut to what would hold the
 * mean at the target at the same rate, at least halved (while slots are free, fewer would change nothing but the room
 * for the next burst). Fewer requests then share the CPU, each finishes sooner, the parsing of new requests is not
 * starved, and the queue forms here, where it is bounded and refused. When an interval's requests were quick and some
 * still found every slot taken, one slot is added. What a request waited for Redis, the streams-app or a rate-limit
 * lease is not counted ({@link IoWaits}): it holds its slot without using the CPU, and a slow dependency must not look
 * like a saturated CPU. The queue shrinks with the slots because each waiter is a parked thread: with 128 waiters for 2
 * slots on a saturated CPU, every freed slot waited for its waiter to be scheduled, and the instance answered a third
 * of what it did with 8 (BENCHMARKS.md, section 10).
 */
public final class LoadShedder implements MeterBinder {

    /** Why a request was refused. */
    public enum Refusal {
        /** {@code maxQueued} requests were waiting already. */
        QUEUE_FULL,
        /** No slot freed within the wait allowed. */
        WAITED_TOO_LONG
    }

    private final int minConcurrent;
    private final int maxConcurrent;
    private final int maxQueued;
    private final long queueWaitNanos;
    private final long overloadWaitNanos;
    private final long holdTargetNanos;
    private final LongSupplier nanoTime;
    private final Slots slots;
    /** Slots now, between the two bounds; written only by the thread that closes an interval. */
    private volatile int limit;
    /** When the current interval ends; its requests that gave their slot back, and how long they held it in all. */
    private final AtomicLong intervalEnd;
    private final LongAdder intervalDone = new LongAdder();
    private final LongAdder intervalHeld = new LongAdder();
    /** Whether a request of the current interval found every slot taken. */
    private volatile boolean intervalShort;
    private final AtomicInteger queued = new AtomicInteger();
    private volatile long lastEmptyNanos;
    private final LongAdder admitted = new LongAdder();
    private final LongAdder queueFull = new LongAdder();
    private final LongAdder waitedTooLong = new LongAdder();
    private final LongAdder limitDecreases = new LongAdder();
    private final LongAdder limitIncreases = new LongAdder();
    /** Fewer requests than this in an interval say nothing about the CPU: the slots stay as they are. */
    static final int MIN_JUDGED = 8;

    /** The slots start at {@code maxConcurrent}; {@code minConcurrent == maxConcurrent} keeps them fixed. */
    public LoadShedder(int minConcurrent, int maxConcurrent, int maxQueued, Duration queueWait, Duration overloadWait,
            Duration holdTarget, LongSupplier nanoTime) {
        if (minConcurrent < 1 || maxConcurrent < minConcurrent || maxQueued < 0
                || overloadWait.compareTo(queueWait) > 0) {
            throw new IllegalArgumentException(
                    "need 1 <= minConcurrent <= maxConcurrent, maxQueued >= 0, overloadWait <= queueWait");
        }
        this.minConcurrent = minConcurrent;
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.queueWaitNanos = queueWait.toNanos();
        this.overloadWaitNanos = overloadWait.toNanos();
        this.holdTargetNanos = holdTarget.toNanos();
        this.nanoTime = nanoTime;
        this.slots = new Slots(maxConcurrent);
        this.limit = maxConcurrent;
        this.lastEmptyNanos = nanoTime.getAsLong();
        this.intervalEnd = new AtomicLong(lastEmptyNanos + queueWaitNanos);
    }

    /**
     * Takes a slot, waiting as long as allowed; null when admitted (then {@link #release(long)} exactly once), else
     * why not. Blocks the calling thread for at most the wait allowed.
     */
    public Refusal acquire() throws InterruptedException {
        long now = nanoTime.getAsLong();
        tick(now);
        if (queued.get() == 0 && slots.tryAcquire()) {
            lastEmptyNanos = now;
            admitted.increment();
            return null;
        }
        intervalShort = true;
        if (queued.incrementAndGet() > queueBound()) {
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

    /** Places in the queue now: {@code maxQueued} in proportion to the slots (see the class). */
    int queueBound() {
        return (int) ((long) maxQueued * limit / maxConcurrent);
    }

    /** Closes the interval when it is over; the thread that closes it sizes the slots. */
    private void tick(long now) {
        long end = intervalEnd.get();
        if (now - end >= 0 && intervalEnd.compareAndSet(end, now + queueWaitNanos)) {
            boolean wasShort = intervalShort;
            intervalShort = false;
            adapt(intervalDone.sumThenReset(), intervalHeld.sumThenReset(), wasShort);
        }
    }

    /** Run by one thread at a time: the one that closed the interval. */
    private void adapt(long done, long heldNanos, boolean slotsWereShort) {
        int current = limit;
        boolean slow = heldNanos > done * holdTargetNanos;
        if (slow && slotsWereShort && done >= MIN_JUDGED) {
            if (current > minConcurrent) {
                // at least halved; as many as would hold the mean at the target at the same rate (Little's law)
                int fit = (int) Math.min(current / 2, current * holdTargetNanos * done / heldNanos);
                int next = Math.max(minConcurrent, fit);
                limit = next;
                slots.reduce(current - next);
                limitDecreases.increment();
            }
        } else if (!slow && slotsWereShort && current < maxConcurrent) {
            limit = current + 1;
            slots.release();
            limitIncreases.increment();
        }
    }

    private void leaveQueue() {
        if (queued.decrementAndGet() == 0) {
            lastEmptyNanos = nanoTime.getAsLong();
        }
    }

    /**
     * Gives back the slot of an admitted request, which held it {@code heldNanos} (on {@link #nanoTime()}) besides
     * its waits for I/O.
     */
    public void release(long heldNanos) {
        slots.release();
        intervalDone.increment();
        intervalHeld.add(heldNanos);
    }

    /** This shedder's clock, for the time a request holds its slot. */
    public long nanoTime() {
        return nanoTime.getAsLong();
    }

    /** How long a request that must queue now may wait: short once the queue has stood longer than the long wait. */
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
        return Math.max(0, limit - slots.availablePermits());
    }

    /** How many requests may run at once now. */
    public int concurrencyLimit() {
        return limit;
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
                .description("Requests holding a slot now (at most the concurrency limit, "
                        + "more for a moment after it fell)").register(registry);
        Gauge.builder("dbm_api_concurrency_limit", this, LoadShedder::concurrencyLimit)
                .description("Requests that may run at once now: cut while the CPU is saturated, back up by one "
                        + "per interval").register(registry);
        FunctionCounter.builder("dbm_api_concurrency_limit_changes", limitDecreases, LongAdder::sum)
                .tag("direction", "down").description("Times the slots were cut: every one was taken and the requests "
                        + "of an interval held them longer than the target on average").register(registry);
        FunctionCounter.builder("dbm_api_concurrency_limit_changes", limitIncreases, LongAdder::sum)
                .tag("direction", "up").description("Times a slot was added: requests were quick and some waited "
                        + "for one").register(registry);
        Gauge.builder("dbm_api_requests_queued", this, LoadShedder::queued)
                .description("Requests waiting for a slot now").register(registry);
        Gauge.builder("dbm_api_overloaded", this, s -> s.overloaded() ? 1 : 0)
                .description("1 while the queue has stood longer than the longest wait (short waits apply)")
                .register(registry);
    }

    /** A semaphore whose permits can be taken away while they are held: the holders give them back as usual. */
    private static final class Slots extends Semaphore {
        private static final long serialVersionUID = 1L;

        Slots(int permits) {
            super(permits);
        }

        void reduce(int permits) {
            reducePermits(permits);
        }
    }
}
