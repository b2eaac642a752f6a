package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The handlers of the internal interactive-query API: each parses its request, asks {@link SnapshotQueries} (or the
 * {@link ProjectGatherer}), and answers. A key another instance owns is forwarded to it; when the owner cannot answer,
 * a standby copy is served with its lag, or a typed 503 with {@code Retry-After}. Every answer is counted in
 * {@link IqCounters}; a 400 is not an interactive query and is not counted.
 */
final class IqHandlers {

    /** Query parameter of a request another instance forwarded or gathers: answer from this instance's stores. */
    static final String LOCAL_PARAM = "local";
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    /** The poller's breaker; every breaker's status lives in the partition of this one. */
    private static final String POLLER_BREAKER = "prometheus";

    private final SnapshotQueries queries;
    private final IqForwarder forwarder;
    private final ProjectGatherer gatherer;
    private final IqCounters counters;
    private final ObjectMapper mapper;

    IqHandlers(SnapshotQueries queries, IqForwarder forwarder, ProjectGatherer gatherer, IqCounters counters,
            ObjectMapper mapper) {
        this.queries = queries;
        this.forwarder = forwarder;
        this.gatherer = gatherer;
        this.counters = counters;
        this.mapper = mapper;
    }

    /** {@code GET /internal/v1/snapshots/{id}}. */
    void snapshot(Context ctx) throws IOException {
        String id = ctx.pathParam("id");
        if (!Identifiers.isValid(id)) {
            IqReplies.error(ctx, 400, "Invalid database id");
            return;
        }
        answer(ctx, IqCounters.Query.SNAPSHOT, localOnly -> queries.snapshot(id, localOnly),
                "/internal/v1/snapshots/" + id + "?" + LOCAL_PARAM + "=true", mapper::writeValueAsBytes);
    }

    /**
     * {@code GET /internal/v1/snapshots/{id}/history?from=&to=} (epoch milliseconds, both inclusive; default the
     * whole retention): {@code {"points": [snapshot, ...]}}, oldest first, empty when the store has none.
     */
    void history(Context ctx) throws IOException {
        String id = ctx.pathParam("id");
        long from;
        long to;
        try {
            from = ctx.queryParam("from") == null ? 0 : Long.parseLong(ctx.queryParam("from"));
            to = ctx.queryParam("to") == null ? Long.MAX_VALUE : Long.parseLong(ctx.queryParam("to"));
        } catch (NumberFormatException e) {
            from = -1;
            to = -1;
        }
        if (!Identifiers.isValid(id) || from < 0 || to < from) {
            IqReplies.error(ctx, 400, "Invalid database id, from or to (epoch milliseconds, from <= to)");
            return;
        }
        long f = from;
        long t = to;
        answer(ctx, IqCounters.Query.HISTORY, localOnly -> queries.history(id, f, t, localOnly),
                "/internal/v1/snapshots/" + id + "/history?from=" + f + "&to=" + t + "&" + LOCAL_PARAM + "=true",
                points -> {
                    ObjectNode body = mapper.createObjectNode();
                    body.set("points", mapper.valueToTree(points));
                    return mapper.writeValueAsBytes(body);
                });
    }

    /** {@code GET /internal/v1/poller-status}. */
    void pollerStatus(Context ctx) throws IOException {
        answer(ctx, IqCounters.Query.POLLER_STATUS, localOnly -> queries.pollerStatuses(POLLER_BREAKER, localOnly),
                "/internal/v1/poller-status?" + LOCAL_PARAM + "=true", statuses -> {
                    ObjectNode body = mapper.createObjectNode();
                    body.set("statuses", mapper.valueToTree(statuses));
                    return mapper.writeValueAsBytes(body);
                });
    }

    /** {@code GET /internal/v1/projects/{domain}/{project}/snapshots?limit=&cursor=}: sorted by database id. */
    /** The project name of a listing of every project of a domain. */
    static final String ALL_PROJECTS = "*";

    void project(Context ctx) throws IOException {
        String domain = ctx.pathParam("domain");
        String project = ctx.pathParam("project");
        String cursor = ctx.queryParam("cursor");
        // project "*": every project of the domain (the query API's domain-wide tenants)
        if (!Identifiers.isValid(domain) || !(Identifiers.isValid(project) || project.equals(ALL_PROJECTS))
                || (cursor != null && !Identifiers.isValid(cursor))) {
            IqReplies.error(ctx, 400, "Invalid domain, project or cursor");
            return;
        }
        int limit;
        try {
            limit = ctx.queryParam("limit") == null ? DEFAULT_PAGE : Integer.parseInt(ctx.queryParam("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        boolean local = isLocal(ctx);
        // A gathering instance asks every instance for one more than the page, to know whether a next page exists.
        if (limit < 1 || limit > MAX_PAGE + (local ? 1 : 0)) {
            IqReplies.error(ctx, 400, "limit must be 1-" + MAX_PAGE);
            return;
        }
        ProjectGatherer.Listing listing = gatherer.list(domain, project, cursor, limit, local);
        if (listing instanceof ProjectGatherer.Page page) {
            ObjectNode body = mapper.createObjectNode();
            ArrayNode items = body.putArray("items");
            page.items().forEach(s -> items.add(mapper.valueToTree(s)));
            body.put("next_cursor", page.nextCursor());
            if (local) { // for the gathering instance: which partitions this part covers
                ArrayNode partitions = body.putArray("partitions");
                page.partitions().forEach(partitions::add);
            }
            IqReplies.json(ctx, mapper.writeValueAsBytes(body), page.lagOffsets());
            counters.count(IqCounters.Query.PROJECT, page.outcome());
        } else {
            IqReplies.unavailable(ctx, listing instanceof ProjectGatherer.InstanceUnavailable
                    ? "A streams-app instance cannot answer now" : IqReplies.STORES_UNAVAILABLE);
            counters.count(IqCounters.Query.PROJECT, IqCounters.Outcome.UNAVAILABLE);
        }
    }

    @FunctionalInterface
    private interface Writer<T> {
        byte[] write(T value) throws IOException;
    }

    /**
     * Answers from this instance's stores, or forwards to the owner at {@code ownerPath} when another instance owns
     * the key; when the owner cannot answer, from a standby copy here, if there is one, with its lag.
     */
    private <T> void answer(Context ctx, IqCounters.Query query, Function<Boolean, StoreResult<T>> lookup,
            String ownerPath, Writer<T> writer) throws IOException {
        StoreResult<T> result = lookup.apply(isLocal(ctx));
        if (result instanceof StoreResult.OnOtherHost<T> other) {
            if (forward(ctx, other.host(), ownerPath)) {
                counters.count(query, IqCounters.Outcome.FORWARDED);
                return;
            }
            result = lookup.apply(true);
        }
        if (result instanceof StoreResult.Found<T> found) {
            IqReplies.json(ctx, writer.write(found.value()), found.lagOffsets());
            counters.count(query, found.standby() ? IqCounters.Outcome.STANDBY : IqCounters.Outcome.LOCAL);
        } else if (result instanceof StoreResult.NotFound<T>) {
            IqReplies.error(ctx, 404, "Not found");
            counters.count(query, IqCounters.Outcome.NOT_FOUND);
        } else {
            IqReplies.unavailable(ctx, IqReplies.STORES_UNAVAILABLE);
            counters.count(query, IqCounters.Outcome.UNAVAILABLE);
        }
    }

    /** Proxies the owner's answer with its lag and retry headers; false when the owner could not answer. */
    private boolean forward(Context ctx, HostInfo host, String path) {
        Optional<HttpResponse<byte[]>> answer = forwarder.get(host, path);
        if (answer.isEmpty() || answer.get().statusCode() >= 500) {
            return false;
        }
        HttpResponse<byte[]> response = answer.get();
        ctx.status(response.statusCode());
        List.of(IqServer.STORE_LAG_HEADER, "Retry-After").forEach(name ->
                response.headers().firstValue(name).ifPresent(value -> ctx.header(name, value)));
        ctx.contentType("application/json").result(response.body());
        return true;
    }

    private static boolean isLocal(Context ctx) {
        return ctx.queryParam(LOCAL_PARAM) != null;
    }
}
