package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.Map;

/**
 * Before-handler of every {@code /api/*} route: a verified bearer token, or 401 with {@code WWW-Authenticate}, or 429
 * with {@code Retry-After} when the client (by its connection's address) or everyone failed too often lately.
 */
final class Authentication implements Handler {

    static final String PRINCIPAL = "dbm.principal";
    static final String TOO_MANY_FAILURES = "Too many failed authentications";

    private final JwtAuthenticator authenticator;

    Authentication(JwtAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public void handle(Context ctx) {
        if (ctx.method() == io.javalin.http.HandlerType.OPTIONS) {
            return; // a CORS preflight carries no credentials by design; it reads nothing
        }
        AuthResult result = authenticator.authenticate(ctx.header("Authorization"), ctx.ip());
        if (result instanceof AuthResult.Authenticated ok) {
            ctx.attribute(PRINCIPAL, ok.principal());
            return;
        }
        if (result instanceof AuthResult.Throttled throttled) {
            throw new ApiError(429, TOO_MANY_FAILURES,
                    Map.of("Retry-After", Long.toString(throttled.retryAfterSeconds())));
        }
        String reason = ((AuthResult.Rejected) result).reason();
        boolean missing = ctx.header("Authorization") == null;
        String challenge = missing ? "Bearer realm=\"dbmetrics\""
                : "Bearer realm=\"dbmetrics\", error=\"invalid_token\", error_description=\"" + reason + "\"";
        throw new ApiError(401, reason, Map.of("WWW-Authenticate", challenge));
    }
}
