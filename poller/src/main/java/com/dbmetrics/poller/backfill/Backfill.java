package com.dbmetrics.poller.backfill;

import com.dbmetrics.poller.catalogue.DiscoveryException;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.Inventory;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Historical snapshots for a time range: the catalogue's queries as Prometheus range queries (one per engine × metric
 * × interval group × chunk, each point equal to the instant query at that time), fanned out per database and
 * evaluation time, and handed to a sink that marks them {@code dbm-backfill: true}. Evaluation times are aligned to
 * each database's interval, exactly as the live poller's, so a backfilled snapshot has the event time a live one would
 * have had. Downstream keeps the greatest event time, so a backfill never replaces a newer latest snapshot.
 */
public final class Backfill {

    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    /** Points held in memory per query chunk (databases × steps), bounding the backfill's footprint. */
    static final int POINTS_PER_CHUNK = 200_000;
    /** Prometheus refuses more than 11,000 points per series; stay well below. */
    static final int MAX_STEPS_PER_QUERY = 1_000;

    /** Runs a range query; production passes {@link PrometheusClient#queryRange}. */
    @FunctionalInterface
    public interface RangeQuerier {
        List<PrometheusClient.Series> queryRange(String promql, Instant start, Instant end, Duration step)
                throws PrometheusException;
    }

    /** What to backfill: a half-open range [from, to] and optionally one database or one engine. */
    public record Request(Instant from, Instant to, Optional<String> databaseId, Optional<String> engine) {
        public Request {
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException("--from must be before --to but was " + from + " .. " + to);
            }
            if (databaseId.isPresent() && engine.isPresent()) {
                throw new IllegalArgumentException("give --database or --engine, not both");
            }
        }
    }

    /** What a backfill did. */
    public record Result(int databases, int queries, int snapshots, int failedQueries) {}

    private final RangeQuerier querier;
    private final InventorySource inventory;
    private final EngineCatalogue catalogue;
    private final Consumer<MetricsSnapshot> sink;
    private final Duration baseInterval;
    private final Throttle throttle;

    public Backfill(RangeQuerier querier, InventorySource inventory, EngineCatalogue catalogue,
            Consumer<MetricsSnapshot> sink, Duration baseInterval, Throttle throttle) {
        this.querier = querier;
        this.inventory = inventory;
        this.catalogue = catalogue;
        this.sink = sink;
        this.baseInterval = baseInterval;
        this.throttle = throttle;
    }

    public Result run(Request request) throws DiscoveryException {
        Inventory known = inventory.discover(request.to()).inventory();
        Map<String, Map<Duration, List<DatabaseRef>>> groups = new LinkedHashMap<>();
        int databases = 0;
        for (DatabaseRef db : known.databases()) {
            if (request.databaseId().map(id -> !id.equals(db.databaseId())).orElse(false)
                    || request.engine().map(e -> !e.equals(db.engine())).orElse(false)) {
                continue;
            }
            groups.computeIfAbsent(db.engine(), e -> new LinkedHashMap<>())
                    .computeIfAbsent(known.intervalOf(db.databaseId(), baseInterval), i -> new ArrayList<>()).add(db);
            databases++;
        }
        int queries = 0;
        int snapshots = 0;
        int failed = 0;
        for (Map.Entry<String, Map<Duration, List<DatabaseRef>>> engine : groups.entrySet()) {
            Optional<Map<Metric, String>> queriesOfEngine = catalogue.queries(engine.getKey());
            if (queriesOfEngine.isEmpty()) {
                log.warn("engine={} is not in the catalogue: its databases are not backfilled", engine.getKey());
                continue;
            }
            for (Map.Entry<Duration, List<DatabaseRef>> group : engine.getValue().entrySet()) {
                Duration step = group.getKey();
                List<DatabaseRef> dbs = group.getValue();
                long stepMs = step.toMillis();
                long first = Math.floorDiv(request.from().toEpochMilli() + stepMs - 1, stepMs) * stepMs;
                long last = Math.floorDiv(request.to().toEpochMilli(), stepMs) * stepMs;
                int stepsPerChunk = (int) Math.max(1, Math.min(MAX_STEPS_PER_QUERY, POINTS_PER_CHUNK / dbs.size()));
                for (long start = first; start <= last; start += stepsPerChunk * stepMs) {
                    long end = Math.min(last, start + (stepsPerChunk - 1) * stepMs);
                    Chunk chunk = new Chunk();
                    for (Map.Entry<Metric, String> query : queriesOfEngine.get().entrySet()) {
                        queries++;
                        throttle.acquireQuery();
                        try {
                            for (PrometheusClient.Series series : querier.queryRange(query.getValue(),
                                    Instant.ofEpochMilli(start), Instant.ofEpochMilli(end), step)) {
                                chunk.add(query.getKey(), series);
                            }
                        } catch (PrometheusException e) {
                            failed++;
                            log.warn("Range query engine={} metric={} {}..{} failed ({}): {}", engine.getKey(),
                                    query.getKey().wireName(), Instant.ofEpochMilli(start), Instant.ofEpochMilli(end),
                                    e.kind(), e.getMessage());
                        }
                    }
                    snapshots += chunk.publish(dbs, (int) step.toSeconds());
                }
            }
        }
        return new Result(databases, queries, snapshots, failed);
    }

    /** Values of one chunk: database id → evaluation time → metric → value. */
    private final class Chunk {
        private final Map<String, TreeMap<Instant, Map<Metric, Double>>> values = new HashMap<>();

        void add(Metric metric, PrometheusClient.Series series) {
            String id = series.labels().get("database_id");
            if (id == null) {
                return;
            }
            for (PrometheusClient.Point point : series.points()) {
                double v = point.value();
                if (!Double.isNaN(v) && !Double.isInfinite(v) && v >= 0) {
                    values.computeIfAbsent(id, k -> new TreeMap<>())
                            .computeIfAbsent(point.time(), k -> new EnumMap<>(Metric.class)).put(metric, v);
                }
            }
        }

        int publish(List<DatabaseRef> databases, int intervalSeconds) {
            int published = 0;
            for (DatabaseRef db : databases) {
                for (Map.Entry<Instant, Map<Metric, Double>> at : values.getOrDefault(db.databaseId(), new TreeMap<>())
                        .entrySet()) {
                    throttle.acquireRecord();
                    sink.accept(MetricsSnapshot.of(db, at.getKey(), intervalSeconds, at.getValue()));
                    published++;
                }
            }
            return published;
        }
    }
}
