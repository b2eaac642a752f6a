package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.prom.PromAnswer;
import com.dbmetrics.api.prom.PromApi;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Prometheus' HTTP API under {@value #PREFIX} on the public port ({@link PromApi}): GET or form POST, and the
 * credentials Prometheus clients send: {@code Authorization: Bearer <jwt>}, or HTTP basic auth whose password is the
 * JWT (what Grafana and {@code promtool} send for a URL's user info or a basic-auth data source). Every answer, errors
 * included, is Prometheus' JSON envelope.
 */
final class PrometheusRoutes {

    static final String PREFIX = "/prometheus/api/v1/";

    private final PromApi api;
    private final JwtAuthenticator authenticator;

    PrometheusRoutes(PromApi api, JwtAuthenticator authenticator) {
        this.api = api;
        this.authenticator = authenticator;
    }

    void register(JavalinConfig cfg) {
        cfg.routes.before("/prometheus/*", this::authenticate);
        route(cfg, "query", (caller, ctx) -> api.query(caller, params(ctx)));
        route(cfg, "query_range", (caller, ctx) -> api.queryRange(caller, params(ctx)));
        route(cfg, "series", (caller, ctx) -> api.series(caller, params(ctx)));
        route(cfg, "labels", (caller, ctx) -> api.labels(caller, params(ctx)));
        route(cfg, "label/{name}/values", (caller, ctx) -> api.labelValues(caller, ctx.pathParam("name"), params(ctx)));
        route(cfg, "metadata", (caller, ctx) -> api.metadata(caller, params(ctx)));
        route(cfg, "status/buildinfo", (caller, ctx) -> api.buildInfo(caller));
        route(cfg, "rules", (caller, ctx) -> api.empty(caller, PromApi.Empty.RULES));
        route(cfg, "alerts", (caller, ctx) -> api.empty(caller, PromApi.Empty.ALERTS));
        route(cfg, "query_exemplars", (caller, ctx) -> api.empty(caller, PromApi.Empty.EXEMPLARS));
        Handler unknown = ctx -> write(ctx, PromApi.notFound(ctx.path()));
        cfg.routes.get("/prometheus/<rest>", unknown);
        cfg.routes.post("/prometheus/<rest>", unknown);
    }

    private void route(JavalinConfig cfg, String path, BiFunction<Principal, Context, PromAnswer> endpoint) {
        Handler handler = ctx -> write(ctx, endpoint.apply(ctx.attribute(Authentication.PRINCIPAL), ctx));
        cfg.routes.get(PREFIX + path, handler);
        cfg.routes.post(PREFIX + path, handler);
    }

    /** The caller from a bearer token or a basic-auth password; else a 401 (or 429) in Prometheus' envelope. */
    private void authenticate(Context ctx) {
        if (!RequestTargetCheck.decodes(ctx.path())
                || (ctx.queryString() != null && !RequestTargetCheck.decodes(ctx.queryString()))) {
            refuse(ctx, PromAnswer.refusal(400, "bad_data", "malformed path or query string"));
            return;
        }
        String authorization = bearer(ctx.header("Authorization"));
        AuthResult result = authenticator.authenticate(authorization, ctx.ip());
        if (result instanceof AuthResult.Authenticated ok) {
            ctx.attribute(Authentication.PRINCIPAL, ok.principal());
            return;
        }
        if (result instanceof AuthResult.Throttled throttled) {
            ctx.header("Retry-After", Long.toString(throttled.retryAfterSeconds()));
            refuse(ctx, PromAnswer.refusal(429, "too_many_requests", Authentication.TOO_MANY_FAILURES));
            return;
        }
        ctx.header("WWW-Authenticate", "Basic realm=\"dbmetrics\", Bearer realm=\"dbmetrics\"");
        refuse(ctx, PromAnswer.refusal(401, "unauthorized", ((AuthResult.Rejected) result).reason()));
    }

    /**
     * {@code Basic base64(user:jwt)} becomes {@code Bearer jwt}; anything else is passed on as sent (a malformed basic
     * credential becomes one the authenticator rejects with its usual reason).
     */
    static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return authorization;
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return "Bearer " + (colon < 0 ? "" : decoded.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return "Bearer ";
        }
    }

    private static void refuse(Context ctx, PromAnswer answer) {
        write(ctx, answer);
        ctx.skipRemainingHandlers();
    }

    private static void write(Context ctx, PromAnswer answer) {
        Answers.rateHeaders(ctx, answer.rate());
        if (answer.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(answer.retryAfterSeconds()));
        }
        ctx.header("Cache-Control", "no-store");
        ctx.status(answer.status()).contentType("application/json").result(answer.body());
    }

    /** Query and form parameters together, as Prometheus reads them ({@code match[]} may repeat). */
    private static Map<String, List<String>> params(Context ctx) {
        Map<String, List<String>> params = new HashMap<>(ctx.queryParamMap());
        if (ctx.method() == io.javalin.http.HandlerType.POST) {
            ctx.formParamMap().forEach((k, v) -> params.merge(k, v, (a, b) -> {
                List<String> both = new java.util.ArrayList<>(a);
                both.addAll(b);
                return both;
            }));
        }
        return params;
    }
}
