package com.dbmetrics.api.ratelimit;

import com.github.benmanes.caffeine.cache.Ticker;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Limits shared by every API instance through Redis: one Lua script decides all applicable limits of a request in one
 * round trip, so the limits are exact across instances (no overshoot) while Redis answers. Redis unreachable: fail
 * open (default; a per-instance {@link LocalRateLimiter} stands in) or closed, each decision counted.
 */
public final class RateLimiter {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    /** Every rate-limit key shares one hash tag, so the script may touch all of them in Redis Cluster too. */
    static final String PREFIX = "dbm:rl:{rl}:";

    private final UnifiedJedis redis;
    private final Clock clock;
    private final long windowMs;
    private final boolean failOpen;
    private final LocalRateLimiter local;
    private final String script;
    private volatile String sha;

    public final LongAdder failOpenDecisions = new LongAdder();
    public final LongAdder failClosedDecisions = new LongAdder();

    public RateLimiter(UnifiedJedis redis, Clock clock, Duration window, boolean failOpen, Ticker ticker) {
        this.redis = redis;
        this.clock = clock;
        this.windowMs = window.toMillis();
        this.failOpen = failOpen;
        this.local = new LocalRateLimiter(clock, window, ticker);
        this.script = load();
    }

    /** Decides all {@code limits} at once; an empty list is always allowed. */
    public Decision decide(List<Limit> limits) {
        if (limits.isEmpty()) {
            return Decision.unlimited();
        }
        long now = clock.millis();
        long index = now / windowMs;
        long elapsed = now % windowMs;
        List<String> keys = new ArrayList<>(limits.size() * 2);
        List<String> args = new ArrayList<>(limits.size() + 2);
        args.add(Long.toString(elapsed));
        args.add(Long.toString(windowMs));
        for (Limit limit : limits) {
            String base = PREFIX + limit.scope().wireName() + ':' + limit.subject() + ':';
            keys.add(base + index);
            keys.add(base + (index - 1));
            args.add(Long.toString(limit.perWindow()));
        }
        try {
            List<?> result = (List<?>) evalsha(keys, args);
            boolean allowed = ((Long) result.get(0)) == 1L;
            int failing = ((Long) result.get(1)).intValue();
            long reset = LocalRateLimiter.ceilSeconds(windowMs - elapsed);
            if (allowed) {
                Limit first = limits.get(0);
                return new Decision(true, first.scope(), first.perWindow(), (Long) result.get(2), 0, reset);
            }
            Limit refused = limits.get(failing - 1);
            return new Decision(false, refused.scope(), refused.perWindow(), 0,
                    LocalRateLimiter.ceilSeconds((Long) result.get(3)), reset);
        } catch (RuntimeException e) {
            if (!failOpen) {
                failClosedDecisions.increment();
                log.warn("Rate limiter: Redis unreachable, failing closed: {}", e.toString());
                return Decision.unavailable();
            }
            failOpenDecisions.increment();
            log.debug("Rate limiter: Redis unreachable, local limiter stands in: {}", e.toString());
            return local.decide(limits);
        }
    }

    private Object evalsha(List<String> keys, List<String> args) {
        String current = sha;
        if (current == null) {
            current = redis.scriptLoad(script);
            sha = current;
        }
        try {
            return redis.evalsha(current, keys, args);
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
                sha = null; // Redis restarted and forgot the script
                return evalsha(keys, args);
            }
            throw e;
        }
    }

    private static String load() {
        try (InputStream in = RateLimiter.class.getResourceAsStream("/redis/rate-limit.lua")) {
            if (in == null) {
                throw new IllegalStateException("redis/rate-limit.lua is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
