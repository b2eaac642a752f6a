package com.dbmetrics.streams.redis;

import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-mirrors a whole store after the queue overflowed while Redis was away (updates were dropped: Redis may miss some
 * databases' newest snapshots). Waits for Redis first (one flush must succeed), then feeds the store to the queue while
 * fewer than half its bound wait, so memory stays bounded. The Lua guard makes it safe to write what Redis already has.
 */
final class MirrorResync implements MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(MirrorResync.class);

    private final MirrorQueue queue;
    private final MirrorFlusher flusher;
    private final int maxBacklog;
    private final Duration pollInterval;
    private final LongAdder resyncs = new LongAdder();

    /** {@code maxPending} is the queue's bound; the resync keeps the backlog under half of it. */
    MirrorResync(MirrorQueue queue, MirrorFlusher flusher, int maxPending, Duration pollInterval) {
        this.queue = queue;
        this.flusher = flusher;
        this.maxBacklog = Math.max(1, maxPending / 2);
        this.pollInterval = pollInterval;
    }

    /**
     * Re-mirrors every snapshot of {@code store} if the queue overflowed. Returns false, leaving the need set, when
     * Redis is still failing; false also when the flusher stopped meanwhile.
     */
    boolean resync(Iterable<MetricsSnapshot> store) throws InterruptedException {
        if (!queue.resyncNeeded()) {
            return true;
        }
        if (!flusher.flushOnce()) {
            return false;
        }
        queue.resyncStarted();
        long count = 0;
        for (MetricsSnapshot snapshot : store) {
            while (!queue.awaitBacklogBelow(maxBacklog, pollInterval)) {
                if (!flusher.running()) {
                    return false;
                }
            }
            queue.snapshot(snapshot);
            count++;
        }
        resyncs.increment();
        log.info("Redis mirror resynced {} snapshots from the store after an overflowed backlog", count);
        return true;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_mirror_resyncs", resyncs, LongAdder::sum).register(registry);
    }
}
