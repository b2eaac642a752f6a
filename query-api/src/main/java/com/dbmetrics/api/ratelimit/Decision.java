package com.dbmetrics.api.ratelimit;

/**
 * A rate-limit decision. {@code limit}/{@code remaining} describe the scope named (the first applicable scope when
 * allowed, the one that refused otherwise); {@code resetSeconds} is when the current window ends.
 */
public record Decision(boolean allowed, Scope scope, long limit, long remaining, long retryAfterSeconds,
        long resetSeconds) {

    /** No limit applies (e.g. the global limit is off and nothing else was asked). */
    public static Decision unlimited() {
        return new Decision(true, null, 0, 0, 0, 0);
    }

    /** The limiter cannot decide (Redis unreachable and configured to fail closed). */
    public static Decision unavailable() {
        return new Decision(false, null, 0, 0, 1, 0);
    }
}
