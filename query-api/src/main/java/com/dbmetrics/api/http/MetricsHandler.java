package com.dbmetrics.api.http;

import com.dbmetrics.api.MetricsService;
import com.dbmetrics.api.ReadResult;
import com.dbmetrics.api.auth.Principal;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.Map;

/** {@code GET /api/v1/domain/{domain}/project/{project}/databases/{db_id}/metrics}. */
final class MetricsHandler implements Handler {

    private final MetricsService service;

    MetricsHandler(MetricsService service) {
        this.service = service;
    }

    @Override
    public void handle(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        ReadResult result = service.read(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.pathParam("db_id"), ctx.queryParam("fields"), ctx.header("If-None-Match"));
        if (result instanceof ReadResult.Ok ok) {
            ctx.header("ETag", ok.etag());
            ctx.header("Age", Long.toString(ok.ageSeconds()));
            ctx.header("X-Cache", ok.layer());
            ctx.header("Cache-Control", "private, max-age=" + ok.maxAgeSeconds());
            ctx.header("Vary", "Authorization");
            if (ok.notModified()) {
                ctx.status(304);
            } else {
                ctx.contentType("application/json").result(ok.body());
            }
        } else if (result instanceof ReadResult.BadRequest bad) {
            throw new ApiError(400, bad.message());
        } else if (result instanceof ReadResult.NotFound) {
            throw new ApiError(404, "Database not found");
        } else if (result instanceof ReadResult.Unavailable unavailable) {
            throw new ApiError(503, "Metrics temporarily unavailable",
                    Map.of("Retry-After", Integer.toString(unavailable.retryAfterSeconds())));
        }
    }
}
