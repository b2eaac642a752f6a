package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.service.CacheStats;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/** {@code GET /api/v1/metrics/cache-stats}: admin role only; others get 403. */
final class CacheStatsHandler implements Handler {

    private final CacheStats stats;

    CacheStatsHandler(CacheStats stats) {
        this.stats = stats;
    }

    @Override
    public void handle(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        if (!caller.isAdmin()) {
            throw new ApiError(403, "Admin role required");
        }
        ctx.contentType("application/json").result(stats.json());
    }
}
