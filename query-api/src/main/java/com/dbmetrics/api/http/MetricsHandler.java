package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.service.MetricsService;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/** {@code GET /api/v1/domain/{domain}/project/{project}/databases/{db_id}/metrics}. */
final class MetricsHandler implements Handler {

    private final MetricsService service;

    MetricsHandler(MetricsService service) {
        this.service = service;
    }

    @Override
    public void handle(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        Answers.write(ctx, service.read(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.pathParam("db_id"), ctx.queryParam("fields"), ctx.header("If-None-Match")));
    }
}
