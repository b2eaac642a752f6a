package com.dbmetrics.api.ratelimit;

/**
 * The sliding-window arithmetic shared by the Redis script (which mirrors it in Lua) and the local limiter: the
 * previous window's count weighted by how much of it is still inside the sliding window, plus the current count.
 */
final class SlidingWindow {

    private SlidingWindow() {}

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    static double estimate(long previous, long current, long elapsedMs, long windowMs) {
        return previous * ((double) (windowMs - elapsedMs) / windowMs) + current;
    }

    /** Milliseconds until one more request fits, for a scope that is full now. */
    static long retryAfterMs(long previous, long current, long limit, long elapsedMs, long windowMs) {
        long retry;
        if (current + 1 > limit) {
            // next window: this window's count becomes the previous one and must fade to limit - 1
            retry = (windowMs - elapsedMs) + ceilDiv(windowMs * (current - limit + 1), current);
        } else {
            retry = ceilDiv(windowMs * (previous + current - limit + 1), previous) - elapsedMs;
        }
        return Math.max(1, retry);
    }
}
