package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.Map;

/** Before-handler of every {@code /api/*} route: a verified bearer token or 401 with {@code WWW-Authenticate}. */
final class Authentication implements Handler {

    static final String PRINCIPAL = "dbm.principal";

    private final JwtAuthenticator authenticator;

    Authentication(JwtAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public void handle(Context ctx) {
        if (ctx.method() == io.javalin.http.HandlerType.OPTIONS) {
            return; // a CORS preflight carries no credentials by design; it reads nothing
        }
        AuthResult result = authenticator.authenticate(ctx.header("Authorization"));
        if (result instanceof AuthResult.Authenticated ok) {
            ctx.attribute(PRINCIPAL, ok.principal());
            return;
        }
        String reason = ((AuthResult.Rejected) result).reason();
        boolean missing = ctx.header("Authorization") == null;
        String challenge = missing ? "Bearer realm=\"dbmetrics\""
                : "Bearer realm=\"dbmetrics\", error=\"invalid_token\", error_description=\"" + reason + "\"";
        throw new ApiError(401, reason, Map.of("WWW-Authenticate", challenge));
    }
}
