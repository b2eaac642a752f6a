package com.dbmetrics.poller.backfill;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Paces a backfill: at most so many records and range queries per second, so it never crowds out live polling. */
public class Throttle {

    private final long recordNanos;
    private final long queryNanos;
    private long nextRecord = System.nanoTime();
    private long nextQuery = System.nanoTime();

    /** No pacing (tests). */
    public static final Throttle NONE = new Throttle(0, 0);

    public Throttle(int recordsPerSecond, int queriesPerSecond) {
        this.recordNanos = recordsPerSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / recordsPerSecond;
        this.queryNanos = queriesPerSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / queriesPerSecond;
    }

    void acquireRecord() {
        nextRecord = pace(nextRecord, recordNanos);
    }

    void acquireQuery() {
        nextQuery = pace(nextQuery, queryNanos);
    }

    private static long pace(long next, long every) {
        if (every == 0) {
            return next;
        }
        long now = System.nanoTime();
        if (next > now) {
            LockSupport.parkNanos(next - now);
            return next + every;
        }
        return now + every;
    }
}
