package com.dbmetrics.api;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Answers one database's metrics for a caller: tenant check, lookup through the layers, the domain/project check, and
 * the freshness the answer really has (age, staleness and its reason are computed per request, never cached).
 */
public final class MetricsService {

    /** Staleness reasons shown to clients. */
    public static final String REASON_BREAKER_OPEN = "Circuit breaker open";
    public static final String REASON_SOURCE_UNAVAILABLE = "Source unavailable";
    public static final String REASON_POLLER_SILENT = "Poller not reporting";
    private static final Duration STATUS_CACHE = Duration.ofSeconds(1);

    private final SnapshotLookup lookup;
    private final RedisSnapshots redis;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final Duration staleGrace;
    private final AtomicReference<CachedStatus> breakerStatus = new AtomicReference<>();

    private record CachedStatus(Optional<PollerStatus> status, long readAtMillis) {}

    public MetricsService(SnapshotLookup lookup, RedisSnapshots redis, ObjectMapper mapper, Clock clock,
            Duration staleGrace) {
        this.lookup = lookup;
        this.redis = redis;
        this.mapper = mapper;
        this.clock = clock;
        this.staleGrace = staleGrace;
    }

    public ReadResult read(Principal caller, String domain, String project, String databaseId, String fieldsParam,
            String ifNoneMatch) {
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project) || !Identifiers.isValid(databaseId)) {
            return new ReadResult.BadRequest("domain, project and database id must be 1-128 characters of "
                    + "[A-Za-z0-9._-], not starting with '.'");
        }
        Set<Metric> fields;
        try {
            fields = parseFields(fieldsParam);
        } catch (IllegalArgumentException e) {
            return new ReadResult.BadRequest(e.getMessage());
        }
        if (!caller.canRead(domain, project)) {
            return new ReadResult.NotFound();
        }
        Lookup result = lookup.get(databaseId);
        if (result instanceof Lookup.NotFound) {
            return new ReadResult.NotFound();
        }
        if (!(result instanceof Lookup.Found found)) {
            return new ReadResult.Unavailable(1);
        }
        MetricsSnapshot snapshot = found.snapshot();
        if (!snapshot.belongsTo(domain, project)) {
            return new ReadResult.NotFound();
        }
        long nowMillis = clock.millis();
        long ageMillis = Math.max(0, nowMillis - snapshot.timestamp().toEpochMilli());
        long boundMillis = 2L * snapshot.intervalSeconds() * 1000 + staleGrace.toMillis();
        boolean stale = ageMillis > boundMillis;
        long ageSeconds = ageMillis / 1000;
        long maxAge = Math.max(0, (boundMillis - ageMillis) / 1000);
        String etag = etag(snapshot, fieldsParam == null ? null : fields);
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            return new ReadResult.Ok(new byte[0], found.layer().name(), ageSeconds, etag, maxAge, true);
        }
        String reason = stale ? staleReason(found.origin()) : null;
        return new ReadResult.Ok(render(snapshot, fields, ageSeconds, reason), found.layer().name(), ageSeconds, etag,
                maxAge, false);
    }

    static Set<Metric> parseFields(String fieldsParam) {
        if (fieldsParam == null || fieldsParam.isBlank()) {
            return EnumSet.allOf(Metric.class);
        }
        Set<Metric> fields = EnumSet.noneOf(Metric.class);
        for (String name : fieldsParam.split(",")) {
            String trimmed = name.trim();
            fields.add(Metric.fromWireName(trimmed).orElseThrow(() -> new IllegalArgumentException(
                    "Unknown field '" + (trimmed.length() > 40 ? trimmed.substring(0, 40) : trimmed)
                            + "'; fields are cpu_usage, memory_usage, operations_per_sec, connections, storage_size")));
        }
        return fields;
    }

    private byte[] render(MetricsSnapshot snapshot, Set<Metric> fields, long ageSeconds, String staleReason) {
        ObjectNode body = mapper.createObjectNode();
        body.put("database_id", snapshot.databaseId());
        body.put("database_name", snapshot.databaseName());
        body.put("engine", snapshot.engine());
        body.put("timestamp", snapshot.timestamp().toString());
        ObjectNode metrics = body.putObject("metrics");
        ArrayNode missing = body.putArray("missing");
        for (Metric metric : fields) {
            Double value = snapshot.value(metric);
            metrics.set(metric.wireName(), mapper.valueToTree(value));
            if (value == null) {
                missing.add(metric.wireName());
            }
        }
        body.put("age_seconds", ageSeconds);
        if (staleReason != null) {
            body.put("stale", true);
            body.put("reason", staleReason);
        }
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render snapshot of " + snapshot.databaseId(), e);
        }
    }

    private String staleReason(Layer origin) {
        Optional<PollerStatus> status = breakerStatus();
        if (status.isPresent() && status.get().state() == PollerStatus.State.OPEN) {
            return REASON_BREAKER_OPEN;
        }
        return origin == Layer.STALE ? REASON_SOURCE_UNAVAILABLE : REASON_POLLER_SILENT;
    }

    private Optional<PollerStatus> breakerStatus() {
        CachedStatus cached = breakerStatus.get();
        long now = clock.millis();
        if (cached != null && now - cached.readAtMillis() < STATUS_CACHE.toMillis()) {
            return cached.status();
        }
        Optional<PollerStatus> status;
        try {
            status = redis.pollerStatus("prometheus");
        } catch (RuntimeException e) {
            status = Optional.empty();
        }
        breakerStatus.set(new CachedStatus(status, now));
        return status;
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
