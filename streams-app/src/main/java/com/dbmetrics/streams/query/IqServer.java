package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal interactive-query HTTP API on this instance's {@code application.server}. Any instance answers any key:
 * it forwards to the owner, and when the owner cannot answer it serves a standby copy with {@code Dbm-Store-Lag}, or a
 * typed 503 with {@code Retry-After}. Error bodies are {@code {"error","status"}} and never carry exception text.
 * Every answer is counted by {@link IqCounters}. {@code /healthz} (liveness) fails only when Kafka Streams has stopped
 * or failed; {@code /readyz} answers 200 only while it is {@code RUNNING} (not while rebalancing or restoring).
 */
public final class IqServer implements AutoCloseable {

    /** Header of answers served from a standby or restoring store: its lag in offsets. */
    public static final String STORE_LAG_HEADER = "Dbm-Store-Lag";
    static final String LOCAL_PARAM = "local";
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    private static final Logger log = LoggerFactory.getLogger(IqServer.class);

    private final SnapshotQueries queries;
    private final IqCounters counters;
    private final ObjectMapper mapper;
    private final HttpClient http;
    private final Javalin app;

    public IqServer(SnapshotQueries queries, IqCounters counters, ObjectMapper mapper, String bindHost, int port,
            java.util.function.Supplier<String> metrics) {
        this.queries = queries;
        this.counters = counters;
        this.mapper = mapper;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.routes.get("/internal/v1/snapshots/{id}", this::snapshot);
            cfg.routes.get("/internal/v1/projects/{domain}/{project}/snapshots", this::project);
            cfg.routes.get("/internal/v1/poller-status", this::pollerStatus);
            cfg.routes.get("/healthz", this::health);
            cfg.routes.get("/readyz", this::readiness);
            cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.get()));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.error("Interactive query {} failed", ctx.path(), e);
                error(ctx, 500, "Internal error");
            });
            cfg.routes.error(404, "*", ctx -> {
                if (!String.valueOf(ctx.res().getContentType()).startsWith("application/json")) {
                    error(ctx, 404, "Not found");
                }
            });
        }).start(bindHost, port);
    }

    public int port() {
        return app.port();
    }

    /** Liveness: the process is up and Kafka Streams has not stopped or failed (starting and rebalancing are alive). */
    static boolean alive(KafkaStreams.State state) {
        return state == KafkaStreams.State.CREATED || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.RUNNING;
    }

    /** Readiness: every task of this instance is assigned and restored, so it answers its own keys at once. */
    static boolean ready(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING;
    }

    private void health(Context ctx) {
        KafkaStreams.State state = queries.state();
        if (alive(state)) {
            ctx.contentType("application/json").result(status("ok", state));
        } else {
            error(ctx, 503, "Kafka Streams is " + state);
        }
    }

    private void readiness(Context ctx) {
        KafkaStreams.State state = queries.state();
        if (ready(state)) {
            ctx.contentType("application/json").result(status("ready", state));
        } else {
            error(ctx, 503, "Not ready: Kafka Streams is " + state);
        }
    }

    private String status(String status, KafkaStreams.State state) {
        return mapper.createObjectNode().put("status", status).put("state", state.name()).toString();
    }

    private void snapshot(Context ctx) throws IOException {
        String id = ctx.pathParam("id");
        if (!Identifiers.isValid(id)) {
            error(ctx, 400, "Invalid database id");
            return;
        }
        boolean local = ctx.queryParam(LOCAL_PARAM) != null;
        StoreResult<MetricsSnapshot> result = queries.snapshot(id, local);
        if (result instanceof StoreResult.OnOtherHost<MetricsSnapshot> other) {
            if (forward(ctx, other.host(), "/internal/v1/snapshots/" + id + "?" + LOCAL_PARAM + "=true")) {
                counters.count(IqCounters.Query.SNAPSHOT, IqCounters.Outcome.FORWARDED);
                return;
            }
            result = queries.snapshot(id, true); // owner unreachable: a standby copy, if we have one, with its lag
        }
        respond(ctx, IqCounters.Query.SNAPSHOT, result, mapper::writeValueAsBytes);
    }

    private void pollerStatus(Context ctx) throws IOException {
        boolean local = ctx.queryParam(LOCAL_PARAM) != null;
        StoreResult<List<PollerStatus>> result = queries.pollerStatuses("prometheus", local);
        if (result instanceof StoreResult.OnOtherHost<List<PollerStatus>> other) {
            if (forward(ctx, other.host(), "/internal/v1/poller-status?" + LOCAL_PARAM + "=true")) {
                counters.count(IqCounters.Query.POLLER_STATUS, IqCounters.Outcome.FORWARDED);
                return;
            }
            result = queries.pollerStatuses("prometheus", true);
        }
        respond(ctx, IqCounters.Query.POLLER_STATUS, result, statuses -> {
            ObjectNode body = mapper.createObjectNode();
            body.set("statuses", mapper.valueToTree(statuses));
            return mapper.writeValueAsBytes(body);
        });
    }

    /** A project's snapshots, sorted by database id, gathered from every instance (see README: project listing). */
    private void project(Context ctx) throws IOException {
        String domain = ctx.pathParam("domain");
        String project = ctx.pathParam("project");
        String cursor = ctx.queryParam("cursor");
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project)
                || (cursor != null && !Identifiers.isValid(cursor))) {
            error(ctx, 400, "Invalid domain, project or cursor");
            return;
        }
        int limit;
        try {
            limit = ctx.queryParam("limit") == null ? DEFAULT_PAGE : Integer.parseInt(ctx.queryParam("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        boolean local = ctx.queryParam(LOCAL_PARAM) != null;
        // A gathering instance asks every instance for one more than the page, to know whether a next page exists.
        if (limit < 1 || limit > MAX_PAGE + (local ? 1 : 0)) {
            error(ctx, 400, "limit must be 1-" + MAX_PAGE);
            return;
        }
        int fetch = local ? limit : limit + 1;
        StoreResult<List<MetricsSnapshot>> mine = queries.localProjectPage(domain, project, cursor, fetch);
        if (!(mine instanceof StoreResult.Found<List<MetricsSnapshot>> found)) {
            respond(ctx, IqCounters.Query.PROJECT, mine, v -> new byte[0]);
            return;
        }
        List<MetricsSnapshot> all = new ArrayList<>(found.value());
        long lag = found.lagOffsets();
        IqCounters.Outcome outcome = found.standby() ? IqCounters.Outcome.STANDBY : IqCounters.Outcome.LOCAL;
        if (!local) {
            String path = "/internal/v1/projects/" + domain + "/" + project + "/snapshots?" + LOCAL_PARAM
                    + "=true&limit=" + fetch + (cursor == null ? "" : "&cursor=" + enc(cursor));
            for (HostInfo host : queries.otherHosts()) {
                HttpResponse<byte[]> response = get(host, path);
                if (response == null || response.statusCode() != 200) {
                    counters.count(IqCounters.Query.PROJECT, IqCounters.Outcome.UNAVAILABLE);
                    error(ctx, 503, "A streams-app instance cannot answer now");
                    ctx.header("Retry-After", "1");
                    return;
                }
                outcome = IqCounters.Outcome.GATHERED;
                for (var item : mapper.readTree(response.body()).path("items")) {
                    all.add(mapper.treeToValue(item, MetricsSnapshot.class));
                }
            }
        }
        all.sort(Comparator.comparing(MetricsSnapshot::databaseId));
        List<MetricsSnapshot> page = all.subList(0, Math.min(limit, all.size()));
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        page.forEach(s -> items.add(mapper.valueToTree(s)));
        body.put("next_cursor", !local && all.size() > limit ? page.get(page.size() - 1).databaseId() : null);
        if (lag > 0) {
            ctx.header(STORE_LAG_HEADER, Long.toString(lag));
        }
        ctx.contentType("application/json").result(mapper.writeValueAsBytes(body));
        counters.count(IqCounters.Query.PROJECT, outcome);
    }

    @FunctionalInterface
    private interface Writer<T> {
        byte[] write(T value) throws IOException;
    }

    private <T> void respond(Context ctx, IqCounters.Query query, StoreResult<T> result, Writer<T> writer)
            throws IOException {
        if (result instanceof StoreResult.Found<T> found) {
            if (found.lagOffsets() > 0) {
                ctx.header(STORE_LAG_HEADER, Long.toString(found.lagOffsets()));
            }
            ctx.contentType("application/json").result(writer.write(found.value()));
            counters.count(query, found.standby() ? IqCounters.Outcome.STANDBY : IqCounters.Outcome.LOCAL);
        } else if (result instanceof StoreResult.NotFound<T>) {
            error(ctx, 404, "Not found");
            counters.count(query, IqCounters.Outcome.NOT_FOUND);
        } else {
            ctx.header("Retry-After", "1");
            error(ctx, 503, "Streams state is not available now (rebalancing or restoring)");
            counters.count(query, IqCounters.Outcome.UNAVAILABLE);
        }
    }

    /** Proxies the owner's answer; false when the owner could not be reached. */
    private boolean forward(Context ctx, HostInfo host, String path) {
        HttpResponse<byte[]> response = get(host, path);
        if (response == null || response.statusCode() >= 500) {
            return false;
        }
        ctx.status(response.statusCode());
        response.headers().firstValue(STORE_LAG_HEADER).ifPresent(v -> ctx.header(STORE_LAG_HEADER, v));
        response.headers().firstValue("Retry-After").ifPresent(v -> ctx.header("Retry-After", v));
        ctx.contentType("application/json").result(response.body());
        return true;
    }

    private HttpResponse<byte[]> get(HostInfo host, String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                    .timeout(Duration.ofSeconds(2)).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            log.warn("Streams-app instance {}:{} unreachable: {}", host.host(), host.port(), e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void error(Context ctx, int status, String message) {
        ObjectNode body = mapper.createObjectNode().put("error", message).put("status", status);
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        app.stop();
    }
}
