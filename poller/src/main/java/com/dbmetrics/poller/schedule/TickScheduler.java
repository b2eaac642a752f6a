package com.dbmetrics.poller.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires once per interval for evaluation times aligned to the interval (T = k × interval since the epoch), each at
 * T + ingestion delay. A tick that could not start before the next one was due is counted as missed and not made up.
 */
public final class TickScheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TickScheduler.class);

    private final Clock clock;
    private final Duration interval;
    private final Duration delay;
    private final Consumer<Instant> tick;
    private final TickMetrics metrics;
    private final ScheduledExecutorService executor;
    private Instant lastT = Instant.MIN;
    /** When the last tick ended (or the scheduler started): what liveness looks at. */
    private volatile Instant lastEnded;

    /** Builds the scheduler; its thread starts with the first tick {@link #start} schedules. */
    public TickScheduler(Clock clock, Duration interval, Duration delay, Consumer<Instant> tick, TickMetrics metrics) {
        this.clock = clock;
        this.interval = interval;
        this.delay = delay;
        this.tick = tick;
        this.metrics = metrics;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "poller-tick");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        lastEnded = clock.instant();
        scheduleNext();
    }

    /**
     * Liveness: whether a tick has ended within the last {@code intervals} intervals (a tick that hangs, or a scheduler
     * that stopped scheduling, fails it, so the process is restarted). True before {@link #start()}.
     */
    public boolean ticking(int intervals) {
        Instant ended = lastEnded;
        return ended == null || !clock.instant().isAfter(ended.plus(interval.multipliedBy(intervals)).plus(delay));
    }

    /** The evaluation time of the next tick whose send time (T + delay) is not yet past. */
    static Instant nextEvaluationTime(Instant now, Duration interval, Duration delay) {
        long step = interval.toMillis();
        long candidate = Math.floorDiv(now.minus(delay).toEpochMilli(), step) * step + step;
        return Instant.ofEpochMilli(candidate);
    }

    private void scheduleNext() {
        Instant now = clock.instant();
        Instant t = nextEvaluationTime(now, interval, delay);
        if (!lastT.equals(Instant.MIN)) {
            long skipped = (t.toEpochMilli() - lastT.toEpochMilli()) / interval.toMillis() - 1;
            if (skipped > 0) {
                metrics.missed(skipped);
                log.warn("Missed {} tick(s) between {} and {}: a cycle outran its interval", skipped, lastT, t);
            }
        }
        long waitMs = Math.max(0, t.plus(delay).toEpochMilli() - now.toEpochMilli());
        try {
            executor.schedule(() -> run(t), waitMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("Scheduler closed; no further ticks");
        }
    }

    private void run(Instant t) {
        lastT = t;
        try {
            tick.accept(t);
        } catch (RuntimeException e) {
            log.error("Poll cycle for {} failed", t, e);
        } finally {
            lastEnded = clock.instant();
            scheduleNext();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
