package com.dbmetrics.api.service;

import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
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
 * Turns a snapshot into the JSON a client sees, with the freshness it has at this moment: {@code age_seconds}, and when
 * older than 2 × interval + grace, {@code "stale": true} with the reason. Computed per request, never cached.
 */
public final class SnapshotRenderer {

    /** Staleness reasons shown to clients. */
    public static final String REASON_BREAKER_OPEN = "Circuit breaker open";
    public static final String REASON_SOURCE_UNAVAILABLE = "Source unavailable";
    public static final String REASON_POLLER_SILENT = "Poller not reporting";
    private static final Duration STATUS_CACHE = Duration.ofSeconds(1);

    private final RedisSnapshots redis;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final Duration staleGrace;
    private final AtomicReference<CachedStatus> breakerStatus = new AtomicReference<>();

    private record CachedStatus(Optional<PollerStatus> status, long readAtMillis) {}

    /** Freshness of a snapshot now. */
    public record Freshness(long ageSeconds, long maxAgeSeconds, boolean stale) {}

    public SnapshotRenderer(RedisSnapshots redis, ObjectMapper mapper, Clock clock, Duration staleGrace) {
        this.redis = redis;
        this.mapper = mapper;
        this.clock = clock;
        this.staleGrace = staleGrace;
    }

    public Freshness freshness(MetricsSnapshot snapshot) {
        long ageMillis = Math.max(0, clock.millis() - snapshot.timestamp().toEpochMilli());
        long boundMillis = staleAfterMillis(snapshot);
        return new Freshness(ageMillis / 1000, Math.max(0, (boundMillis - ageMillis) / 1000), ageMillis > boundMillis);
    }

    /** The age past which a snapshot is stale: 2 × its interval + the grace. */
    public long staleAfterMillis(MetricsSnapshot snapshot) {
        return 2L * snapshot.intervalSeconds() * 1000 + staleGrace.toMillis();
    }

    public ObjectNode render(MetricsSnapshot snapshot, Set<Metric> fields, Layer origin) {
        Freshness freshness = freshness(snapshot);
        ObjectNode body = mapper.createObjectNode();
        body.put("database_id", snapshot.databaseId());
        body.put("database_name", snapshot.databaseName());
        body.put("engine", snapshot.engine());
        body.put("timestamp", snapshot.timestamp().toString());
        putMetrics(body, snapshot, fields);
        body.put("age_seconds", freshness.ageSeconds());
        if (freshness.stale()) {
            body.put("stale", true);
            body.put("reason", staleReason(origin));
        }
        return body;
    }

    /**
     * Adds {@code "metrics"} (each field asked, {@code null} when the snapshot lacks it) and {@code "missing"} (those
     * lacking): the same in every answer that shows a snapshot's metrics.
     */
    public void putMetrics(ObjectNode target, MetricsSnapshot snapshot, Set<Metric> fields) {
        ObjectNode metrics = target.putObject("metrics");
        ArrayNode missing = target.putArray("missing");
        for (Metric metric : fields) {
            Double value = snapshot.value(metric);
            metrics.set(metric.wireName(), mapper.valueToTree(value));
            if (value == null) {
                missing.add(metric.wireName());
            }
        }
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** Parses {@code ?fields=}: all metrics when absent; an unknown name is refused with a client-safe message. */
    public static Set<Metric> parseFields(String fieldsParam) {
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
}
