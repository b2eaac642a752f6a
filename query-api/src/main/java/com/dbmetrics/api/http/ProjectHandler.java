package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.service.ProjectService;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/** {@code GET /api/v1/domain/{domain}/project/{project}/databases?limit=&cursor=&fields=}. */
final class ProjectHandler implements Handler {

    private final ProjectService service;

    ProjectHandler(ProjectService service) {
        this.service = service;
    }

    @Override
    public void handle(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        Answers.write(ctx, service.list(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.queryParam("limit"), ctx.queryParam("cursor"), ctx.queryParam("fields")));
    }
}
