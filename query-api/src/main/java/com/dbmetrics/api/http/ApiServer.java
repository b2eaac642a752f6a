package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.load.LoadShedder;
import com.dbmetrics.api.live.StreamHub;
import com.dbmetrics.api.prom.PromApi;
import com.dbmetrics.api.service.CacheStats;
import com.dbmetrics.api.service.HistoryService;
import com.dbmetrics.api.service.StreamService;
import com.dbmetrics.api.service.MetricsService;
import com.dbmetrics.api.service.ProjectService;
import com.dbmetrics.schemas.ops.ManagementServer;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The two HTTP servers: the public API (every route is listed here) and the management port with {@code /metrics}
 * and {@code /healthz}. Built unbound; {@link #start()} binds both ports, {@link #close()} stops both.
 */
public final class ApiServer implements AutoCloseable {

    public static final String METRICS_PATH = "/api/v1/domain/{domain}/project/{project}/databases/{db_id}/metrics";
    public static final String PROJECT_PATH = "/api/v1/domain/{domain}/project/{project}/databases";
    public static final String CACHE_STATS_PATH = "/api/v1/metrics/cache-stats";
    public static final String HISTORY_PATH = METRICS_PATH + "/history";
    public static final String METRICS_STREAM_PATH = METRICS_PATH + "/stream";
    public static final String PROJECT_STREAM_PATH = PROJECT_PATH + "/stream";
    /** The page: static files from the jar ({@code /ui/} on the classpath). */
    public static final String UI_PATH = "/ui";
    /** Request line plus headers; larger requests get 431 (or 414 for the URI) from Jetty. */
    static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;
    /** Listen backlog of the API port (the kernel caps it at net.core.somaxconn). */
    static final int ACCEPT_QUEUE = 4096;

    private final Javalin api;
    private final ManagementServer management;
    private final StreamHub hub;

    /** What the public server serves. */
    public record Services(JwtAuthenticator authenticator, MetricsService metrics, ProjectService projects,
            HistoryService history, StreamService streams, StreamHub hub, PromApi prometheus, CacheStats stats,
            Supplier<String> notReady,
            LoadShedder load) {}

    /** How long a stop waits for the requests in flight at most. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private volatile boolean draining;

    public ApiServer(String bindHost, int port, int managementPort, Services services, List<String> corsOrigins,
            PrometheusMeterRegistry registry) {
        this.hub = services.hub();
        Authentication authentication = new Authentication(services.authenticator());
        Map<String, Timer> timers = new ConcurrentHashMap<>();
        MetricsHandler metricsHandler = new MetricsHandler(services.metrics());
        ProjectHandler projectHandler = new ProjectHandler(services.projects());
        CacheStatsHandler statsHandler = new CacheStatsHandler(services.stats());
        OverloadGuard overloadGuard = new OverloadGuard(services.load());
        HistoryHandler historyHandler = new HistoryHandler(services.history());
        StreamHandler streamHandler = new StreamHandler(services.streams(), services.hub());
        PrometheusRoutes prometheusRoutes = new PrometheusRoutes(services.prometheus(), services.authenticator());
        this.api = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            // before Javalin's own handlers: a refused request costs its parse and a short answer, nothing more
            cfg.jetty.modifyServer(server -> {
                server.insertHandler(overloadGuard);
                // outermost: on stop, Jetty closes the connector and waits (up to the stop timeout) for the requests
                // in flight to finish instead of cutting them off
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
            });
            cfg.http.generateEtags = false;
            cfg.http.compressionStrategy = CompressionStrategy.GZIP;
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
                http.setSendServerVersion(false);
                // Jetty's per-connection header cache costs ~96 KB a connection: 10,000 dashboards keeping their
                // connection open would need ~1 GB of heap for it (benchmarks, connections scenario)
                http.setHeaderCacheSize(0);
            });
            // Jetty's default listen backlog is the JDK's 50: a burst of thousands of connects overflows it
            cfg.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost(bindHost);
                connector.setPort(port);
                connector.setAcceptQueueSize(ACCEPT_QUEUE);
                return connector;
            });
            if (!corsOrigins.isEmpty()) {
                cfg.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                    if (corsOrigins.contains("*")) {
                        rule.anyHost();
                    } else {
                        rule.allowHost(corsOrigins.get(0), corsOrigins.subList(1, corsOrigins.size())
                                .toArray(String[]::new));
                    }
                    for (String h : List.of("ETag", "Age", "X-Cache", "Retry-After", "RateLimit-Limit",
                            "RateLimit-Remaining", "RateLimit-Reset")) {
                        rule.exposeHeader(h);
                    }
                }));
            }
            cfg.requestLogger.http((ctx, ms) -> record(registry, timers, ctx, ms));
            // one before-handler, not three: each one costs a path match per request (JFR: 7 % of an L1 hit)
            RequestTargetCheck targetCheck = new RequestTargetCheck();
            cfg.routes.before("/api/*", ctx -> {
                ctx.header("Vary", "Authorization, Accept-Encoding, Origin");
                targetCheck.handle(ctx);
                authentication.handle(ctx);
            });
            cfg.routes.get(METRICS_PATH, metricsHandler);
            cfg.routes.get(HISTORY_PATH, historyHandler);
            cfg.routes.get(METRICS_STREAM_PATH, streamHandler::database);
            cfg.routes.get(PROJECT_PATH, projectHandler);
            cfg.routes.get(PROJECT_STREAM_PATH, streamHandler::project);
            prometheusRoutes.register(cfg);
            UiFiles.serve(cfg);
            cfg.routes.get(CACHE_STATS_PATH, statsHandler);
            cfg.routes.get("/healthz", ctx -> ctx.contentType("application/json").result("{\"status\":\"ok\"}"));
            cfg.routes.get("/readyz", ctx -> {
                if (draining) {
                    ErrorMapper.write(ctx, 503, "Not ready: shutting down");
                    return;
                }
                String notReady = services.notReady().get();
                if (notReady == null) {
                    ctx.contentType("application/json").result("{\"status\":\"ready\"}");
                } else {
                    ErrorMapper.write(ctx, 503, notReady);
                }
            });
            cfg.routes.exception(ApiError.class, ErrorMapper::apiError);
            cfg.routes.exception(Exception.class, ErrorMapper::unexpected);
            for (int status : new int[] {400, 404, 405, 413, 414, 431, 500}) {
                cfg.routes.error(status, "*", ctx -> {
                    if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                        ErrorMapper.write(ctx, status, ErrorMapper.reason(status));
                    }
                });
            }
        });
        this.management = new ManagementServer(new InetSocketAddress(bindHost, managementPort), registry::scrape,
                Map.of("/healthz", () -> true));
    }

    /** Binds the API port, then the management port. */
    public ApiServer start() {
        api.start();
        try {
            management.start();
        } catch (RuntimeException e) {
            api.stop();
            throw e;
        }
        return this;
    }

    private static void record(PrometheusMeterRegistry registry, Map<String, Timer> timers, Context ctx, Float ms) {
        String route;
        try {
            route = ctx.endpoint().path;
        } catch (RuntimeException e) {
            route = "unmatched"; // no route matched (404) or the request never reached routing
        }
        int status = ctx.statusCode();
        String r = route;
        timers.computeIfAbsent(r + ' ' + status, k -> Timer.builder("dbm_api_requests")
                        .tag("route", r)
                        .tag("status", Integer.toString(status))
                        .publishPercentileHistogram()
                        .maximumExpectedValue(Duration.ofSeconds(5))
                        .register(registry))
                .record((long) (ms * 1_000_000), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** The API port (the one picked when configured as 0); known once started. */
    public int port() {
        return api.port();
    }

    public int managementPort() {
        return management.port();
    }

    /**
     * The first step of a shutdown that cuts nobody off: {@code /readyz} answers 503 from now on, so load balancers
     * stop sending new requests; returns after {@code delay} (their health checks' time to notice). {@link #close()}
     * then closes the API port and lets the requests in flight finish (up to {@link #STOP_TIMEOUT}).
     */
    public void turnUnready(Duration delay) {
        draining = true;
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the live streams (each gets a last {@code shutdown} event), then stops; the requests in flight finish. */
    @Override
    public void close() {
        draining = true;
        if (hub != null) {
            hub.closeAll();
        }
        api.stop();
        management.close();
    }
}
