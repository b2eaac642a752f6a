package com.dbmetrics.api.http;

import com.dbmetrics.api.MetricsService;
import com.dbmetrics.api.auth.JwtAuthenticator;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.BooleanSupplier;

/**
 * Builds and starts the two HTTP servers: the public API (every route listed here) and the management port with
 * {@code /metrics}.
 */
public final class ApiServer implements AutoCloseable {

    public static final String METRICS_PATH = "/api/v1/domain/{domain}/project/{project}/databases/{db_id}/metrics";

    private final Javalin api;
    private final Javalin management;

    public ApiServer(int port, int managementPort, JwtAuthenticator authenticator, MetricsService metrics,
            BooleanSupplier ready, PrometheusMeterRegistry registry) {
        Authentication authentication = new Authentication(authenticator);
        MetricsHandler metricsHandler = new MetricsHandler(metrics);
        this.api = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.http.generateEtags = false;
            cfg.routes.before("/api/*", authentication);
            cfg.routes.get(METRICS_PATH, metricsHandler);
            cfg.routes.get("/healthz", ctx -> ctx.contentType("application/json").result("{\"status\":\"ok\"}"));
            cfg.routes.get("/readyz", ctx -> {
                if (ready.getAsBoolean()) {
                    ctx.contentType("application/json").result("{\"status\":\"ready\"}");
                } else {
                    ErrorMapper.write(ctx, 503, "Not ready: neither Redis nor the streams-app can serve");
                }
            });
            cfg.routes.exception(ApiError.class, ErrorMapper::apiError);
            cfg.routes.exception(Exception.class, ErrorMapper::unexpected);
            cfg.routes.error(404, "*", ctx -> {
                if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                    ErrorMapper.write(ctx, 404, "Not found");
                }
            });
            cfg.routes.error(405, "*", ctx -> ErrorMapper.write(ctx, 405, "Method not allowed"));
        }).start(port);
        this.management = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(registry.scrape()));
            cfg.routes.get("/healthz", ctx -> ctx.result("ok\n"));
        }).start(managementPort);
    }

    public int port() {
        return api.port();
    }

    public int managementPort() {
        return management.port();
    }

    @Override
    public void close() {
        api.stop();
        management.stop();
    }
}
