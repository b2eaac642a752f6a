package com.dbmetrics.api;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Answers one database's metrics for a caller: path validation, rate limits, tenant check, lookup through the layers,
 * the domain/project check of the snapshot found, and the rendering with its current freshness.
 */
public final class MetricsService {

    static final String INVALID_IDS = "domain, project and database id must be 1-128 characters of "
            + "[A-Za-z0-9._-], not starting with '.'";

    private final SnapshotLookup lookup;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final ObjectMapper mapper;
    public final LongAdder requests = new LongAdder();

    public MetricsService(SnapshotLookup lookup, SnapshotRenderer renderer, RateLimits limits, ObjectMapper mapper) {
        this.lookup = lookup;
        this.renderer = renderer;
        this.limits = limits;
        this.mapper = mapper;
    }

    public ReadResult.Answer read(Principal caller, String domain, String project, String databaseId,
            String fieldsParam, String ifNoneMatch) {
        requests.increment();
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project) || !Identifiers.isValid(databaseId)) {
            return new ReadResult.Answer(new ReadResult.BadRequest(INVALID_IDS), null);
        }
        Set<Metric> fields;
        try {
            fields = SnapshotRenderer.parseFields(fieldsParam);
        } catch (IllegalArgumentException e) {
            return new ReadResult.Answer(new ReadResult.BadRequest(e.getMessage()), null);
        }
        Decision rate = limits.admitRequest(caller.userId());
        if (!rate.allowed()) {
            return new ReadResult.Answer(new ReadResult.RateLimited(rate), rate);
        }
        if (!caller.canRead(domain, project)) {
            return new ReadResult.Answer(new ReadResult.NotFound(), rate);
        }
        return new ReadResult.Answer(find(domain, project, databaseId, fieldsParam, fields, ifNoneMatch), rate);
    }

    private ReadResult find(String domain, String project, String databaseId, String fieldsParam, Set<Metric> fields,
            String ifNoneMatch) {
        Lookup result = lookup.get(databaseId, limits::admitSourceRead);
        if (result instanceof Lookup.NotFound) {
            return new ReadResult.NotFound();
        }
        if (result instanceof Lookup.RateLimited limited) {
            return new ReadResult.RateLimited(limited.decision());
        }
        if (!(result instanceof Lookup.Found found)) {
            return new ReadResult.Unavailable(1);
        }
        MetricsSnapshot snapshot = found.snapshot();
        if (!snapshot.belongsTo(domain, project)) {
            return new ReadResult.NotFound();
        }
        SnapshotRenderer.Freshness freshness = renderer.freshness(snapshot);
        String etag = etag(snapshot, fieldsParam == null ? null : fields);
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            return new ReadResult.Ok(new byte[0], found.layer().name(), freshness.ageSeconds(), etag,
                    freshness.maxAgeSeconds(), true);
        }
        try {
            byte[] body = mapper.writeValueAsBytes(renderer.render(snapshot, fields, found.origin()));
            return new ReadResult.Ok(body, found.layer().name(), freshness.ageSeconds(), etag,
                    freshness.maxAgeSeconds(), false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render snapshot of " + databaseId, e);
        }
    }

    static String etag(MetricsSnapshot snapshot, Set<Metric> fields) {
        StringBuilder tag = new StringBuilder("W/\"").append(snapshot.databaseId()).append('-')
                .append(snapshot.timestamp().toEpochMilli());
        if (fields != null && fields.size() < Metric.values().length) {
            tag.append('-');
            for (Metric m : fields) {
                tag.append(m.ordinal());
            }
        }
        return tag.append('"').toString();
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        String opaque = etag.substring(2);
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || c.equals(etag) || c.equals(opaque)) {
                return true;
            }
        }
        return false;
    }
}
