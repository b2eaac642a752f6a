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

    /**
     * One route for the whole API (GET and POST), dispatched here: every route Javalin holds costs each request of
     * the server a path match, and a before-handler would cost one more to every {@code /api/} read.
     */
    void register(JavalinConfig cfg) {
        Handler handler = this::handle;
        cfg.routes.get("/prometheus/<path>", handler);
        cfg.routes.post("/prometheus/<path>", handler);
    }

    private void handle(Context ctx) {
        Principal caller = authenticate(ctx);
        if (caller == null) {
            return;
        }
        String path = ctx.path();
        String endpoint = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : "";
        write(ctx, switch (endpoint) {
            case "query" -> api.query(caller, params(ctx));
            case "query_range" -> api.queryRange(caller, params(ctx));
            case "series" -> api.series(caller, params(ctx));
            case "labels" -> api.labels(caller, params(ctx));
            case "metadata" -> api.metadata(caller, params(ctx));
            case "status/buildinfo" -> api.buildInfo(caller);
            case "rules" -> api.empty(caller, PromApi.Empty.RULES);
            case "alerts" -> api.empty(caller, PromApi.Empty.ALERTS);
            case "query_exemplars" -> api.empty(caller, PromApi.Empty.EXEMPLARS);
            default -> {
                String label = labelOfValues(endpoint);
                yield label != null ? api.labelValues(caller, label, params(ctx)) : PromApi.notFound(path);
            }
        });
    }

    /** {@code label/<name>/values} → the name; null for any other path. */
    static String labelOfValues(String endpoint) {
        if (!endpoint.startsWith("label/") || !endpoint.endsWith("/values")) {
            return null;
        }
        String name = endpoint.substring("label/".length(), endpoint.length() - "/values".length());
        return !name.isEmpty() && name.indexOf('/') < 0 ? name : null;
    }

    /**
     * The caller from a bearer token or a basic-auth password; else null, with a 401 (or 429, or 400 for a target that
     * does not decode) written in Prometheus' envelope.
     */
    private Principal authenticate(Context ctx) {
        if (!RequestTargetCheck.targetDecodes(ctx)) {
            write(ctx, PromAnswer.refusal(400, "bad_data", "malformed path or query string"));
            return null;
        }
        AuthResult result = authenticator.authenticate(bearer(ctx.header("Authorization")), ctx.ip());
        if (result instanceof AuthResult.Authenticated ok) {
            return ok.principal();
        }
        if (result instanceof AuthResult.Throttled throttled) {
            ctx.header("Retry-After", Long.toString(throttled.retryAfterSeconds()));
            write(ctx, PromAnswer.refusal(429, "too_many_requests", Authentication.TOO_MANY_FAILURES));
            return null;
        }
        ctx.header("WWW-Authenticate", "Basic realm=\"dbmetrics\", Bearer realm=\"dbmetrics\"");
        write(ctx, PromAnswer.refusal(401, "unauthorized", ((AuthResult.Rejected) result).reason()));
        return null;
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

    private static void write(Context ctx, PromAnswer answer) {
        Answers.rateHeaders(ctx, answer.rate());
        if (answer.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(answer.retryAfterSeconds()));
        }
        ctx.header("Cache-Control", "no-store");
        ctx.status(answer.status()).contentType("application/json");
        Answers.writeBody(ctx, answer.body(), answer.held());
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
