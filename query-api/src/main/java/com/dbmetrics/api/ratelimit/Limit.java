package com.dbmetrics.api.ratelimit;

/** One limit to check: its scope, the counted subject (user id, database id, or "all") and requests per window. */
public record Limit(Scope scope, String subject, long perWindow) {
    public Limit {
        if (perWindow < 1) {
            throw new IllegalArgumentException("limit for " + scope + " must be >= 1 but was " + perWindow);
        }
    }
}
