package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.service.HistoryService;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/** {@code GET /api/v1/domain/{domain}/project/{project}/databases/{db_id}/metrics/history?from=&to=&fields=}. */
final class HistoryHandler implements Handler {

    private final HistoryService service;

    HistoryHandler(HistoryService service) {
        this.service = service;
    }

    @Override
    public void handle(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        Answers.write(ctx, service.read(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.pathParam("db_id"), ctx.queryParam("from"), ctx.queryParam("to"), ctx.queryParam("fields"),
                ctx.header("If-None-Match")));
    }
}
