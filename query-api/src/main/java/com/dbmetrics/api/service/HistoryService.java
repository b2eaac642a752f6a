package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.SnapshotFeed;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A database's recent snapshots, {@code GET .../databases/{db_id}/metrics/history?from=&to=&fields=}, served from the
 * streams-app's history store (never Prometheus): the whole stored history of a database is fetched once and held in
 * memory for the L1 TTL, and each newer snapshot of the live feed is appended to it as it arrives, so a dashboard's
 * sparklines cost one interactive query per database and TTL, whatever the number of readers and ranges.
 *
 * <p>Same rules as the latest read: the caller's limits first, then the tenant (a database outside the caller's
 * tenants, or with no point in the caller's {@code domain/project}, answers as an unknown one), the per-database limit
 * for reads that reach the streams-app.
 */
public final class HistoryService implements SnapshotFeed.Listener {

    /** The range when {@code from} is not given: the last hour before {@code to}. */
    static final Duration DEFAULT_RANGE = Duration.ofHours(1);
    /** The widest range one request may ask. */
    static final Duration MAX_RANGE = Duration.ofHours(24);
    /** Points one answer carries at most: the newest of the range. */
    static final int MAX_POINTS = 10_000;
    /**
     * Points held in memory at most, all databases together (~250 bytes each: ~50 MB): the whole last hour of ~280
     * databases polled every 5 s, of ~830 polled every 15 s; the least recently read databases leave first.
     */
    static final long MAX_HELD_POINTS = 200_000;
    static final String BAD_RANGE = "from and to must be RFC 3339 times or Unix seconds, from <= to, at most "
            + MAX_RANGE.toHours() + " h apart";

    private final IqClient iq;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final ObjectMapper mapper;
    private final Clock clock;
    /** Database id → every point the history store held when read (oldest first), plus the feed's newer ones. */
    private final Cache<String, List<MetricsSnapshot>> held;
    /** The last rendered slice per database and fields (see {@link #rendered}). */
    private final Cache<String, Slice> bodies;

    public HistoryService(IqClient iq, SnapshotRenderer renderer, RateLimits limits, Clock clock, Duration ttl,
            Ticker ticker) {
        this.iq = iq;
        this.renderer = renderer;
        this.limits = limits;
        this.mapper = renderer.mapper();
        this.clock = clock;
        this.held = Caffeine.newBuilder().maximumWeight(MAX_HELD_POINTS)
                .<String, List<MetricsSnapshot>>weigher((id, points) -> Math.max(1, points.size()))
                .expireAfterWrite(ttl).ticker(ticker).build();
        this.bodies = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(ttl).ticker(ticker).build();
    }

    public ReadResult.Answer read(Principal caller, String domain, String project, String databaseId,
            String fromParam, String toParam, String fieldsParam, String ifNoneMatch) {
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project) || !Identifiers.isValid(databaseId)) {
            return new ReadResult.Answer(new ReadResult.BadRequest(MetricsService.INVALID_IDS), null);
        }
        Instant to;
        Instant from;
        try {
            to = toParam == null ? clock.instant() : time(toParam);
            from = fromParam == null ? to.minus(DEFAULT_RANGE) : time(fromParam);
            if (from.isAfter(to) || Duration.between(from, to).compareTo(MAX_RANGE) > 0) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException | ArithmeticException | DateTimeParseException e) {
            return new ReadResult.Answer(new ReadResult.BadRequest(BAD_RANGE), null);
        }
        Admission admission = Admission.of(limits, caller, fieldsParam);
        if (admission.refused()) {
            return admission.refusal();
        }
        if (!caller.canRead(domain, project)) {
            return new ReadResult.Answer(new ReadResult.NotFound(), admission.rate());
        }
        Held points = points(domain, project, databaseId);
        if (!(points instanceof Points found)) {
            return new ReadResult.Answer(points instanceof Limited limited
                    ? new ReadResult.RateLimited(limited.decision())
                    : points instanceof Unknown ? new ReadResult.NotFound() : new ReadResult.Unavailable(1),
                    admission.rate());
        }
        List<MetricsSnapshot> inRange = new ArrayList<>();
        for (MetricsSnapshot s : found.points()) {
            if (!s.timestamp().isBefore(from) && !s.timestamp().isAfter(to)) {
                inRange.add(s);
            }
        }
        if (inRange.size() > MAX_POINTS) {
            inRange = inRange.subList(inRange.size() - MAX_POINTS, inRange.size());
        }
        Set<Metric> fields = admission.fields();
        MetricsSnapshot newest = found.points().get(found.points().size() - 1);
        String etag = etag(databaseId, newest, from, to, fieldsParam == null ? null : fields);
        long maxAge = Math.max(0, newest.intervalSeconds() - renderer.freshness(newest).ageSeconds());
        if (ifNoneMatch != null && MetricsService.matches(ifNoneMatch, etag)) {
            return new ReadResult.Answer(new ReadResult.Ok(new byte[0], found.layer(), 0, etag, maxAge, true),
                    admission.rate());
        }
        return new ReadResult.Answer(new ReadResult.Ok(rendered(databaseId, inRange, fieldsParam, fields),
                found.layer(), 0, etag, maxAge), admission.rate());
    }

    /** What is held for a database: its points, or why there are none to show. */
    public sealed interface Held {}

    /** The database's points of the caller's project, oldest first, never empty; {@code layer} L1 or IQ. */
    public record Points(List<MetricsSnapshot> points, String layer) implements Held {}

    /** Unknown, or not in the caller's project: the two look the same. */
    public record Unknown() implements Held {}

    public record Limited(Decision decision) implements Held {}

    public record Unavailable() implements Held {}

    /**
     * Every held point of {@code databaseId} that belongs to {@code domain/project} (the caller's tenant is checked
     * before), reading the streams-app when not held, through the per-database limit.
     */
    public Held points(String domain, String project, String databaseId) {
        List<MetricsSnapshot> all = held.getIfPresent(databaseId);
        String layer = "L1";
        if (all == null) {
            Decision gate = limits.admitSourceRead(domain, project, databaseId);
            if (!gate.allowed()) {
                return new Limited(gate);
            }
            Optional<List<MetricsSnapshot>> loaded = iq.history(databaseId, 0, Long.MAX_VALUE);
            if (loaded.isEmpty()) {
                return new Unavailable();
            }
            all = List.copyOf(loaded.get());
            held.put(databaseId, all);
            layer = "IQ";
        }
        // the held list itself when every point is the project's (a database that never moved): the same instance
        // for every reader until a newer point arrives, which is what rendered answers are keyed on
        List<MetricsSnapshot> ours = all.stream().allMatch(s -> s.belongsTo(domain, project)) ? all
                : all.stream().filter(s -> s.belongsTo(domain, project)).toList();
        if (ours.isEmpty()) {
            if ("L1".equals(layer)) {
                // as an unknown id's read would: it reaches the streams-app through the reader's per-database limit
                Decision gate = limits.admitSourceRead(domain, project, databaseId);
                if (!gate.allowed()) {
                    return new Limited(gate);
                }
            }
            return new Unknown();
        }
        return new Points(ours, layer);
    }

    /** A newer snapshot of a database whose history is held joins it at once. */
    @Override
    public void snapshot(MetricsSnapshot snapshot) {
        held.asMap().computeIfPresent(snapshot.databaseId(), (id, points) -> {
            if (!points.isEmpty() && !points.get(points.size() - 1).timestamp().isBefore(snapshot.timestamp())) {
                return points;
            }
            List<MetricsSnapshot> longer = new ArrayList<>(points.size() + 1);
            longer.addAll(points);
            longer.add(snapshot);
            return List.copyOf(longer);
        });
    }

    @Override
    public void removed(String databaseId, long eventMillis) {
        held.invalidate(databaseId);
    }

    /**
     * The body of a slice, rendered once: the last hour asked every few seconds by every viewer of a database is the
     * same slice until a point enters or leaves it (one interval), so readers share one rendering (a 720-point body
     * costs a millisecond to render: more than the rest of the read together). Kept per database and fields, the
     * latest slice only, a bounded number of them.
     */
    private HeldBody rendered(String databaseId, List<MetricsSnapshot> points, String fieldsParam,
            Set<Metric> fields) {
        String key = databaseId + '?' + (fieldsParam == null ? "" : fieldsParam);
        Slice wanted = points.isEmpty() ? new Slice(0, 0, 0)
                : new Slice(points.size(), points.get(0).timestamp().toEpochMilli(),
                        points.get(points.size() - 1).timestamp().toEpochMilli());
        Slice held = bodies.getIfPresent(key);
        if (held != null && held.sameAs(wanted) && held.first() == (points.isEmpty() ? null : points.get(0))) {
            return held.body();
        }
        HeldBody body = new HeldBody(render(databaseId, points, fields));
        bodies.put(key, new Slice(wanted.size(), wanted.firstMillis(), wanted.lastMillis(), body,
                points.isEmpty() ? null : points.get(0)));
        return body;
    }

    /** A rendered slice: its size, first and last event times, and its first point (the same instance held). */
    private record Slice(int size, long firstMillis, long lastMillis, HeldBody body, MetricsSnapshot first) {
        /** The slice wanted, to compare with the one held. */
        Slice(int size, long firstMillis, long lastMillis) {
            this(size, firstMillis, lastMillis, null, null);
        }

        boolean sameAs(Slice other) {
            return size == other.size && firstMillis == other.firstMillis && lastMillis == other.lastMillis;
        }
    }

    private byte[] render(String databaseId, List<MetricsSnapshot> points, Set<Metric> fields) {
        ObjectNode body = mapper.createObjectNode();
        body.put("database_id", databaseId);
        ArrayNode array = body.putArray("points");
        for (MetricsSnapshot s : points) {
            ObjectNode point = array.addObject();
            point.put("timestamp", s.timestamp().toString());
            renderer.putMetrics(point, s, fields);
        }
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render history of " + databaseId, e);
        }
    }

    static String etag(String databaseId, MetricsSnapshot newest, Instant from, Instant to, Set<Metric> fields) {
        StringBuilder tag = new StringBuilder("W/\"").append(databaseId).append("-h")
                .append(newest.timestamp().toEpochMilli()).append('-').append(from.toEpochMilli()).append('-')
                .append(to.toEpochMilli());
        if (fields != null && fields.size() < Metric.values().length) {
            tag.append('-');
            for (Metric m : fields) {
                tag.append(m.ordinal());
            }
        }
        return tag.append('"').toString();
    }

    /** An RFC 3339 time, or Unix seconds with an optional fraction (as Prometheus' HTTP API takes them). */
    public static Instant time(String value) {
        String v = value.trim();
        if (v.isEmpty() || v.length() > 40) {
            throw new IllegalArgumentException();
        }
        if (Character.isDigit(v.charAt(0)) && v.matches("\\d+(\\.\\d+)?")) {
            BigDecimal seconds = new BigDecimal(v);
            return Instant.ofEpochMilli(seconds.movePointRight(3).setScale(0, RoundingMode.DOWN).longValueExact());
        }
        return OffsetDateTime.parse(v).toInstant();
    }
}
