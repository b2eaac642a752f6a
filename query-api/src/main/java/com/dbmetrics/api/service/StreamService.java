package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.live.StreamHub;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.api.ratelimit.RateLimits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a live stream opens and what it starts with. Opening costs what a read costs (the caller's limits,
 * the tenant, the database's lookup through the layers) plus a place under the stream limits. A stream starts with the
 * current snapshot(s); one resumed with {@code Last-Event-ID} starts with every snapshot newer than that id instead
 * (from the history), so a reconnect loses nothing and repeats nothing.
 */
public final class StreamService {

    static final String BAD_EVENT_ID = "Last-Event-ID must be an event id of this stream (epoch milliseconds)";

    /** What opening a stream came to. */
    public sealed interface Opening {}

    /** Not opened: the answer says why (400, 404, 429 of a rate limit, 503). */
    public record Refused(ReadResult.Answer answer) implements Opening {}

    /** Not opened: a stream limit ({@code scope}) is reached. */
    public record TooMany(StreamHub.Refusal scope, Decision rate) implements Opening {}

    /**
     * To open, with its first snapshots, oldest first: a place is reserved for {@code user} (give it back with
     * {@link StreamHub#release} if the stream does not open after all).
     */
    public record Accepted(String user, String databaseId, String domain, String project, String fieldsParam,
            Set<Metric> fields, List<Lookup.Found> first, Decision rate) implements Opening {}

    private final MetricsService metrics;
    private final ProjectService projects;
    private final HistoryService history;
    private final RateLimits limits;
    private final StreamHub hub;

    public StreamService(MetricsService metrics, ProjectService projects, HistoryService history, RateLimits limits,
            StreamHub hub) {
        this.metrics = metrics;
        this.projects = projects;
        this.history = history;
        this.limits = limits;
        this.hub = hub;
    }

    public Opening openDatabase(Principal caller, String domain, String project, String databaseId,
            String fieldsParam, String lastEventId) {
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project) || !Identifiers.isValid(databaseId)) {
            return refused(new ReadResult.BadRequest(MetricsService.INVALID_IDS), null);
        }
        return open(caller, domain, project, databaseId, fieldsParam, lastEventId);
    }

    public Opening openProject(Principal caller, String domain, String project, String fieldsParam,
            String lastEventId) {
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project)) {
            return refused(new ReadResult.BadRequest(MetricsService.INVALID_IDS), null);
        }
        return open(caller, domain, project, null, fieldsParam, lastEventId);
    }

    private Opening open(Principal caller, String domain, String project, String databaseId, String fieldsParam,
            String lastEventId) {
        Long after;
        try {
            after = lastEventId == null || lastEventId.isBlank() ? null : Long.valueOf(lastEventId.trim());
        } catch (NumberFormatException e) {
            return refused(new ReadResult.BadRequest(BAD_EVENT_ID), null);
        }
        Admission admission = Admission.of(limits, caller, fieldsParam);
        if (admission.refused()) {
            return new Refused(admission.refusal());
        }
        if (!caller.canRead(domain, project)) {
            // outside the caller's tenants: as an unknown database (a project stream: as an unknown project)
            return refused(new ReadResult.NotFound(), admission.rate());
        }
        StreamHub.Refusal full = hub.reserve(caller.userId());
        if (full != null) {
            return new TooMany(full, admission.rate());
        }
        boolean opened = false;
        try {
            List<Lookup.Found> first;
            if (databaseId != null) {
                MetricsService.Sourced sourced = metrics.source(domain, project, databaseId);
                if (sourced.refusal() != null) {
                    return refused(sourced.refusal(), admission.rate());
                }
                first = after == null ? List.of(sourced.found()) : resumed(domain, project, sourced.found(), after);
            } else {
                Optional<List<MetricsSnapshot>> all = projects.all(domain, project);
                if (all.isEmpty()) {
                    return refused(new ReadResult.Unavailable(1), admission.rate());
                }
                first = new ArrayList<>();
                for (MetricsSnapshot s : all.get()) {
                    Lookup.Found found = new Lookup.Found(s, Layer.IQ);
                    if (after == null) {
                        first.add(found);
                    } else if (s.timestamp().toEpochMilli() > after) {
                        first.addAll(resumed(domain, project, found, after));
                    }
                }
                first.sort(Comparator.comparing(f -> f.snapshot().timestamp()));
            }
            opened = true;
            return new Accepted(caller.userId(), databaseId, domain, project, fieldsParam, admission.fields(), first,
                    admission.rate());
        } finally {
            if (!opened) {
                hub.release(caller.userId());
            }
        }
    }

    /**
     * What a client that has everything up to {@code after} misses of a database: its history's newer points, then
     * the current snapshot (skipped by the stream when the history already ended with it). Without a history (the
     * streams-app cannot answer), the current snapshot alone when newer.
     */
    private List<Lookup.Found> resumed(String domain, String project, Lookup.Found current, long after) {
        List<Lookup.Found> missed = new ArrayList<>();
        HistoryService.Held held = history.points(domain, project, current.snapshot().databaseId());
        if (held instanceof HistoryService.Points points) {
            for (MetricsSnapshot s : points.points()) {
                if (s.timestamp().toEpochMilli() > after) {
                    missed.add(new Lookup.Found(s, Layer.IQ));
                }
            }
        }
        if (current.snapshot().timestamp().toEpochMilli() > after) {
            missed.add(current);
        }
        return missed;
    }

    private static Refused refused(ReadResult result, Decision rate) {
        return new Refused(new ReadResult.Answer(result, rate));
    }
}
