package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.InternalToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal interactive-query HTTP server on this instance's {@code application.server} port: it lists the routes
 * of {@code /internal/v1/...} and nothing else (health and metrics are on the management port). Any instance answers
 * any key ({@link IqHandlers}); error bodies are {@code {"error","status"}} and never carry exception text. Every
 * request (to {@code /internal/v1/...} or any other path) must carry the {@link InternalToken} as {@code Authorization: Bearer}; without it the answer
 * is 401 {@code {"error": "Unauthorized", "status": 401}} and nothing else, counted as {@code unauthorized}. It sends
 * the token itself when it forwards or gathers.
 *
 * <p>Built unstarted: {@link #start()} binds the port, {@link #close()} stops it.
 */
public final class IqServer implements AutoCloseable {

    /**
     * The internal API's shared secret itself, when no {@code STREAMS_IQ_TOKEN_FILE} is given (read by
     * StreamsAppConfig through {@link InternalToken#fromEnv}).
     */
    public static final String STREAMS_IQ_TOKEN = "STREAMS_IQ_TOKEN";

    /** Header of answers served from a standby or restoring store: its lag in offsets. */
    public static final String STORE_LAG_HEADER = "Dbm-Store-Lag";

    private static final Logger log = LoggerFactory.getLogger(IqServer.class);

    private final Javalin app;
    private final String bindHost;
    private final int port;

    /** {@code port} 0 picks a free one when started. */
    public IqServer(SnapshotQueries queries, IqCounters counters, ObjectMapper mapper, InternalToken token, String bindHost,
            int port) {
        this.bindHost = bindHost;
        this.port = port;
        IqForwarder forwarder = new IqForwarder(token);
        IqHandlers handlers = new IqHandlers(queries, forwarder, new ProjectGatherer(queries, forwarder, mapper),
                counters, mapper);
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.routes.before(ctx -> { // every path, however written: this port serves nothing public
                if (!token.accepts(ctx.header("Authorization"))) {
                    counters.countUnauthorized(ctx.path());
                    IqReplies.error(ctx, 401, "Unauthorized");
                    ctx.skipRemainingHandlers();
                }
            });
            cfg.routes.get("/internal/v1/snapshots/{id}", handlers::snapshot);
            cfg.routes.get("/internal/v1/snapshots/{id}/history", handlers::history);
            cfg.routes.get("/internal/v1/projects/{domain}/{project}/snapshots", handlers::project);
            cfg.routes.get("/internal/v1/poller-status", handlers::pollerStatus);
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.error("Interactive query {} failed", ctx.path(), e);
                IqReplies.error(ctx, 500, "Internal error");
            });
            cfg.routes.error(404, "*", ctx -> {
                if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                    IqReplies.error(ctx, 404, "Not found");
                }
            });
        });
    }

    /** Binds the port and serves. */
    public IqServer start() {
        app.start(bindHost, port);
        return this;
    }

    /** The port it listens on (the one picked when built with port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
