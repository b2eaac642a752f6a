package com.dbmetrics.streams.redis;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.streams.topology.MirrorTarget;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The updates waiting for Redis, handed over by the stream threads without waiting for Redis: the newest update per
 * database (a newer one replaces a waiting older one, so memory is bounded by the number of databases and by
 * {@code maxPending}) and the newest status per breaker. A flush {@link #take}s everything at once and reports it
 * {@link #written} or {@link #putBack}. When the backlog is full, updates of databases not yet waiting are dropped and
 * {@link #resyncNeeded()} is set: the whole store is re-mirrored once Redis answers ({@link MirrorResync}).
 *
 * <p>{@link #lagSeconds()} is the age of the oldest update not yet in Redis. It costs one clock read when the backlog
 * goes from empty to non-empty (at most one per flush cycle), none per record: the oldest update is the one that made
 * the backlog non-empty, and a batch put back keeps that age.
 */
final class MirrorQueue implements MirrorTarget, MeterBinder {

    /** One database's write: its snapshot JSON with the fresh key's TTL, or a tombstone ({@code json} null). */
    record Update(String databaseId, long eventMillis, byte[] json, long freshTtlMillis) {}

    /** Everything one flush writes. */
    record Batch(Map<String, Update> updates, Map<String, byte[]> statuses) {}

    private static final Logger log = LoggerFactory.getLogger(MirrorQueue.class);

    private final ObjectMapper mapper;
    private final Duration redisTtl;
    private final int maxPending;
    private final Clock clock;
    private final Object lock = new Object();
    private Map<String, Update> pending = new LinkedHashMap<>();
    private Map<String, byte[]> pendingStatus = new LinkedHashMap<>();
    /** When the backlog last went from empty to non-empty (clock millis); meaningful while it is non-empty. */
    private long pendingSince;
    /** Batches taken and not yet written or put back, and when the oldest of their updates was queued. */
    private int flushing;
    private long flushingSince;
    private final AtomicBoolean resyncNeeded = new AtomicBoolean();
    private final LongAdder overflowed = new LongAdder();

    MirrorQueue(ObjectMapper mapper, Duration redisTtl, int maxPending, Clock clock) {
        this.mapper = mapper;
        this.redisTtl = redisTtl;
        this.maxPending = maxPending;
        this.clock = clock;
    }

    @Override
    public void snapshot(MetricsSnapshot snapshot, byte[] json) {
        // the fresh key never lapses between two healthy polls: at least the interval + 5 s
        long freshTtl = Math.max(redisTtl.toMillis(), (snapshot.intervalSeconds() + 5) * 1000L);
        offer(new Update(snapshot.databaseId(), snapshot.timestamp().toEpochMilli(), json, freshTtl));
    }

    /** A snapshot not yet serialised (the resync from the store). */
    void snapshot(MetricsSnapshot snapshot) {
        snapshot(snapshot, write(snapshot));
    }

    @Override
    public void tombstone(String databaseId, long eventMillis) {
        offer(new Update(databaseId, eventMillis, null, 0));
    }

    @Override
    public void pollerStatus(PollerStatus status) {
        byte[] json = write(status);
        synchronized (lock) {
            markNonEmpty();
            pendingStatus.put(status.breaker(), json);
        }
    }

    private void offer(Update update) {
        synchronized (lock) {
            Update previous = pending.get(update.databaseId());
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

    /** Called under lock before adding to the backlog. */
    private void markNonEmpty() {
        if (pending.isEmpty() && pendingStatus.isEmpty()) {
            pendingSince = clock.millis();
        }
    }

    /** Takes everything waiting, for one flush; null when nothing waits. */
    Batch take() {
        synchronized (lock) {
            if (pending.isEmpty() && pendingStatus.isEmpty()) {
                return null;
            }
            Batch batch = new Batch(pending, pendingStatus);
            pending = new LinkedHashMap<>();
            pendingStatus = new LinkedHashMap<>();
            if (flushing++ == 0) { // a concurrent flush is older: keep its time until both are done (an overstatement)
                flushingSince = pendingSince;
            }
            lock.notifyAll(); // the backlog is empty now
            return batch;
        }
    }

    /** The batch is in Redis (or refused by the guard as older). */
    void written(Batch batch) {
        synchronized (lock) {
            flushing--;
            lock.notifyAll();
        }
    }

    /** Redis failed: the batch waits again, behind any newer update that came meanwhile, with its age. */
    void putBack(Batch batch) {
        synchronized (lock) {
            batch.updates().values().forEach(this::offer);
            batch.statuses().forEach(pendingStatus::putIfAbsent);
            flushing--;
            if (!pending.isEmpty() || !pendingStatus.isEmpty()) {
                pendingSince = flushingSince; // the updates put back have waited since then
            }
            lock.notifyAll();
        }
    }

    /** Databases whose update waits (statuses not counted). */
    int backlog() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** Seconds the oldest update not yet written to Redis has waited (queued or being flushed); 0 when none. */
    double lagSeconds() {
        synchronized (lock) {
            long oldest;
            if (flushing > 0) {
                oldest = flushingSince; // queued before anything still pending
            } else if (!pending.isEmpty() || !pendingStatus.isEmpty()) {
                oldest = pendingSince;
            } else {
                return 0;
            }
            return Math.max(0, clock.millis() - oldest) / 1e3;
        }
    }

    /** Whether updates were dropped because the backlog was full; the whole store must then be re-mirrored. */
    boolean resyncNeeded() {
        return resyncNeeded.get();
    }

    /** A resync starts: updates from now on are queued again, and the store walk covers the ones dropped before. */
    void resyncStarted() {
        resyncNeeded.set(false);
    }

    /**
     * Waits until nothing is queued or being flushed; false when {@code timeout} (on the clock) passed first. Wakes
     * when a flush ends, not on a timer.
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = clock.millis() + timeout.toMillis();
        synchronized (lock) {
            while (!pending.isEmpty() || !pendingStatus.isEmpty() || flushing > 0) {
                long left = deadline - clock.millis();
                if (left <= 0) {
                    return false;
                }
                lock.wait(left);
            }
            return true;
        }
    }

    /** Waits at most {@code atMost} until fewer than {@code limit} databases wait; returns whether they do. */
    boolean awaitBacklogBelow(int limit, Duration atMost) throws InterruptedException {
        synchronized (lock) {
            if (pending.size() >= limit) {
                lock.wait(Math.max(1, atMost.toMillis()));
            }
            return pending.size() < limit;
        }
    }

    private byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_mirror_overflowed", overflowed, LongAdder::sum).register(registry);
        Gauge.builder("dbm_streams_mirror_backlog", this, MirrorQueue::backlog).register(registry);
        Gauge.builder("dbm_streams_mirror_resync_needed", this, q -> q.resyncNeeded() ? 1 : 0).register(registry);
        Gauge.builder("dbm_streams_mirror_lag", this, MirrorQueue::lagSeconds).baseUnit("seconds")
                .description("Age of the oldest update not yet written to Redis (0 when the backlog is empty)")
                .register(registry);
    }
}
