package com.dbmetrics.api.source;

import com.dbmetrics.api.load.IoWaits;
import java.time.Duration;
import java.util.function.Function;
import redis.clients.jedis.UnifiedJedis;

/**
 * The API's Redis: the client, the breaker every call goes through, and the time one call may take ({@code budget}:
 * the client's answer timeout and its pool's wait). Callers derive their own waits from the budget.
 */
public record GuardedRedis(UnifiedJedis client, RedisBreaker breaker, Duration budget) {

    /** Calls opened after this many calls in a row got no answer. */
    public static final int FAILURES_TO_OPEN = 3;

    /** Runs {@code call} on the client through the breaker. */
    public <T> T call(Function<UnifiedJedis, T> call) {
        return IoWaits.during(() -> breaker.call(() -> call.apply(client)));
    }

    /** {@code client} with a 1 s budget and a breaker that probes every second: for tests and benchmarks. */
    public static GuardedRedis of(UnifiedJedis client) {
        return new GuardedRedis(client, new RedisBreaker(FAILURES_TO_OPEN, Duration.ofSeconds(1), System::nanoTime),
                Duration.ofSeconds(1));
    }
}
