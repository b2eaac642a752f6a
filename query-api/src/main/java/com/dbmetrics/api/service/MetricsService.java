package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /**
     * The body last rendered per database for the common request (all fields, not stale). Rendering (a JSON tree and
     * its serialisation) was the largest part of an L1 hit (JMH SnapshotReadBench); a body is reused only for the same
     * snapshot instance and the same age in whole seconds, so it is byte for byte what rendering anew would give.
     */
    private final Map<String, Rendered> lastRendered = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();

    /** Bound of {@link #lastRendered}: when exceeded it is emptied (one render per database to refill it). */
    static final int MAX_RENDERED = 10_000;

    private record Rendered(MetricsSnapshot snapshot, long ageSeconds, byte[] body) {}

    public MetricsService(SnapshotLookup lookup, SnapshotRenderer renderer, RateLimits limits, ObjectMapper mapper) {
        this.lookup = lookup;
        this.renderer = renderer;
        this.limits = limits;
        this.mapper = mapper;
    }

    /** Metrics requests answered since this instance started, whatever the answer. */
    public long requests() {
        return requests.sum();
    }

    public ReadResult.Answer read(Principal caller, String domain, String project, String databaseId,
            String fieldsParam, String ifNoneMatch) {
        requests.increment();
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project) || !Identifiers.isValid(databaseId)) {
            return new ReadResult.Answer(new ReadResult.BadRequest(INVALID_IDS), null);
        }
        Admission admission = Admission.of(limits, caller, fieldsParam);
        if (admission.refused()) {
            return admission.refusal();
        }
        if (!caller.canRead(domain, project)) {
            return new ReadResult.Answer(new ReadResult.NotFound(), admission.rate());
        }
        return new ReadResult.Answer(find(domain, project, databaseId, fieldsParam, admission.fields(), ifNoneMatch),
                admission.rate());
    }

    /**
     * The database's snapshot as a read finds it: through the layers and the per-database limit, then checked to be
     * the caller's {@code domain/project} (another tenant's database answers as an unknown one). The caller's limits
     * and tenant are checked before.
     */
    public record Sourced(Lookup.Found found, ReadResult refusal) {}

    public Sourced source(String domain, String project, String databaseId) {
        // the per-database limit counts this tenant's reads of the id (the caller may read domain/project, checked
        // before): naming another tenant's database id spends only the reader's own budget
        Lookup result = lookup.get(databaseId, id -> limits.admitSourceRead(domain, project, id));
        if (result instanceof Lookup.NotFound) {
            return new Sourced(null, new ReadResult.NotFound());
        }
        if (result instanceof Lookup.RateLimited limited) {
            return new Sourced(null, new ReadResult.RateLimited(limited.decision()));
        }
        if (!(result instanceof Lookup.Found found)) {
            return new Sourced(null, new ReadResult.Unavailable(1));
        }
        if (!found.snapshot().belongsTo(domain, project)) {
            // answered from the source or its stale copy: this read already went through the per-database limit
            boolean gated = found.layer() == Layer.IQ || found.layer() == Layer.STALE;
            return new Sourced(null, foreign(domain, project, databaseId, gated));
        }
        return new Sourced(found, null);
    }

    private ReadResult find(String domain, String project, String databaseId, String fieldsParam, Set<Metric> fields,
            String ifNoneMatch) {
        Sourced sourced = source(domain, project, databaseId);
        if (sourced.refusal() != null) {
            return sourced.refusal();
        }
        Lookup.Found found = sourced.found();
        MetricsSnapshot snapshot = found.snapshot();
        SnapshotRenderer.Freshness freshness = renderer.freshness(snapshot);
        String etag = etag(snapshot, fieldsParam == null ? null : fields);
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            return new ReadResult.Ok(new byte[0], found.layer().name(), freshness.ageSeconds(), etag,
                    freshness.maxAgeSeconds(), true);
        }
        byte[] body;
        if (fieldsParam == null && !freshness.stale()) {
            Rendered last = lastRendered.get(databaseId);
            if (last != null && last.snapshot() == snapshot && last.ageSeconds() == freshness.ageSeconds()) {
                body = last.body();
            } else {
                body = render(snapshot, fields, found.origin());
                if (lastRendered.size() >= MAX_RENDERED) {
                    lastRendered.clear();
                }
                lastRendered.put(databaseId, new Rendered(snapshot, freshness.ageSeconds(), body));
            }
        } else {
            body = render(snapshot, fields, found.origin());
        }
        return new ReadResult.Ok(body, found.layer().name(), freshness.ageSeconds(), etag, freshness.maxAgeSeconds(),
                false);
    }

    /**
     * Another tenant's database, answered exactly as an unknown id: an unknown id's read reaches the source through
     * the reader's per-database limit, so this one spends that limit too (once, if the lookup did not already) and is
     * refused by it alike; otherwise not found. Nothing tells the two apart, not even past the limit.
     */
    private ReadResult foreign(String domain, String project, String databaseId, boolean gated) {
        if (!gated) {
            Decision decision = limits.admitSourceRead(domain, project, databaseId);
            if (!decision.allowed()) {
                return new ReadResult.RateLimited(decision);
            }
        }
        return new ReadResult.NotFound();
    }

    private byte[] render(MetricsSnapshot snapshot, Set<Metric> fields, Layer origin) {
        try {
            return mapper.writeValueAsBytes(renderer.render(snapshot, fields, origin));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render snapshot of " + snapshot.databaseId(), e);
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

    static boolean matches(String ifNoneMatch, String etag) {
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
