package com.dbmetrics.api.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The same sliding-window limits, counted in this instance's memory: stands in while Redis is unreachable. Each
 * instance then admits up to the full limit, so N instances may admit up to N × limit for a user in that time.
 */
final class LocalRateLimiter {

    private final Clock clock;
    private final long windowMs;
    private final Cache<String, long[]> counters;

    LocalRateLimiter(Clock clock, Duration window, Ticker ticker) {
        this.clock = clock;
        this.windowMs = window.toMillis();
        this.counters = Caffeine.newBuilder().maximumSize(1_000_000).ticker(ticker)
                .expireAfterAccess(window.multipliedBy(2)).build();
    }

    Decision decide(List<Limit> limits) {
        long now = clock.millis();
        long index = now / windowMs;
        long elapsed = now % windowMs;
        synchronized (this) {
            long remainingFirst = 0;
            for (int i = 0; i < limits.size(); i++) {
                Limit limit = limits.get(i);
                long current = count(limit, index);
                long previous = count(limit, index - 1);
                double estimate = SlidingWindow.estimate(previous, current, elapsed, windowMs);
                if (estimate + 1 > limit.perWindow()) {
                    long retry = SlidingWindow.retryAfterMs(previous, current, limit.perWindow(), elapsed, windowMs);
                    return new Decision(false, limit.scope(), limit.perWindow(), 0, ceilSeconds(retry),
                            ceilSeconds(windowMs - elapsed));
                }
                if (i == 0) {
                    remainingFirst = (long) Math.floor(limit.perWindow() - estimate - 1);
                }
            }
            for (Limit limit : limits) {
                counters.get(key(limit, index), k -> new long[1])[0]++;
            }
            Limit first = limits.get(0);
            return new Decision(true, first.scope(), first.perWindow(), remainingFirst, 0,
                    ceilSeconds(windowMs - elapsed));
        }
    }

    private long count(Limit limit, long index) {
        long[] c = counters.getIfPresent(key(limit, index));
        return c == null ? 0 : c[0];
    }

    private static String key(Limit limit, long index) {
        return limit.scope().name() + ':' + limit.subject() + ':' + index;
    }

    static long ceilSeconds(long ms) {
        return (ms + 999) / 1000;
    }
}
