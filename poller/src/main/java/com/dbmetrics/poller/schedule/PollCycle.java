package com.dbmetrics.poller.schedule;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.catalogue.DiscoveryException;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.Inventory;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Querier;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tick of the poller at evaluation time T: rediscover when due, then, for the databases whose interval is due at T,
 * one query per engine × metric for every such database of that engine at once, fanned out into one snapshot per
 * database. The queries of a tick run in parallel on {@code executor} (the client bounds how many are in flight).
 * Interval groups due at the same T share these queries: the evaluation time is the same, so the answer is too.
 * Prometheus load per tick is therefore discovery (when due) + engines due × metrics, whatever the number of databases
 * or readers. What a tick publishes goes to the sink {@link #run} is given (the tick's transaction), batch by batch.
 */
public final class PollCycle {

    private static final Logger log = LoggerFactory.getLogger(PollCycle.class);

    private final Querier querier;
    private final InventorySource source;
    private final EngineCatalogue catalogue;
    private final Duration interval;
    private final Duration discoveryInterval;
    private final Executor executor;
    private final PollerMetrics metrics;
    private final Clock clock;
    private final InventoryTracker tracker;

    private Instant lastDiscovery = Instant.MIN;

    /** What one tick did, for logs and tests. */
    public record Outcome(int queries, int snapshots, int failedQueries, int due, int tombstones) {
        public Outcome(int queries, int snapshots, int failedQueries) {
            this(queries, snapshots, failedQueries, 0, 0);
        }
    }

    /** @param clock times the queries (their latency on {@code /metrics}) */
    public PollCycle(Querier querier, InventorySource source, EngineCatalogue catalogue, Duration interval,
            Duration discoveryInterval, int tombstoneAfter, Executor executor, PollerMetrics metrics, Clock clock) {
        this.querier = querier;
        this.source = source;
        this.catalogue = catalogue;
        this.interval = interval;
        this.discoveryInterval = discoveryInterval;
        this.executor = executor;
        this.metrics = metrics;
        this.clock = clock;
        this.tracker = new InventoryTracker(tombstoneAfter);
    }

    /**
     * Discovery from target labels, tombstones after 3 absences, queries run on the calling thread, meters bound to
     * {@code registry}, latency by the system clock: the cycle of tests.
     */
    public PollCycle(Querier querier, EngineCatalogue catalogue, Duration interval, Duration discoveryInterval,
            MeterRegistry registry) {
        this(querier, new Discovery(querier, interval), catalogue, interval, discoveryInterval, 3, Runnable::run,
                PollerMetrics.boundTo(registry), Clock.systemUTC());
    }

    public Inventory inventory() {
        return tracker.current();
    }

    /**
     * Runs the tick for evaluation time {@code t}, publishing to {@code sink} and flushing it after each engine. Never
     * throws for Prometheus failures: they are counted.
     */
    public Outcome run(Instant t, SnapshotSink sink) {
        int queries = 0;
        int failed = 0;
        int tombstones = 0;
        if (!t.isBefore(lastDiscovery.plus(discoveryInterval)) || inventory().databases().isEmpty()) {
            queries += source.queriesPrometheus() ? 1 : 0;
            long started = nanos();
            try {
                Discovery.Result result = source.discover(t);
                metrics.query("_inventory", "discovery", "ok", nanos() - started);
                metrics.discoveryRejected(result.rejected().size(), result.refusedIntervals().size());
                if (!result.inventory().databases().isEmpty()) {
                    for (DatabaseRef gone : tracker.apply(result.inventory())) {
                        sink.publishTombstone(gone.databaseId(), t);
                        tombstones++;
                        metrics.tombstone();
                        log.info("database_id={} absent from consecutive discoveries: tombstone at {}",
                                gone.databaseId(), t);
                    }
                } else {
                    log.warn("Discovery at {} found no database; keeping the previous {} databases", t,
                            inventory().databases().size());
                }
                lastDiscovery = t;
            } catch (DiscoveryException e) {
                failed++;
                metrics.query("_inventory", "discovery", e.kind(), nanos() - started);
                log.warn("Discovery at {} failed ({}); keeping the previous inventory: {}", t, e.kind(), e.getMessage());
            }
        }
        Inventory inventory = inventory();
        metrics.databasesKnown(inventory.databases().size());
        Map<String, List<DatabaseRef>> due = dueByEngine(inventory, t);
        Map<String, Map<Metric, CompletableFuture<Answer>>> pending = new LinkedHashMap<>();
        for (Map.Entry<String, List<DatabaseRef>> engine : due.entrySet()) {
            Map<Metric, String> ofEngine = catalogue.queries(engine.getKey()).orElse(Map.of());
            if (ofEngine.isEmpty()) {
                metrics.unknownEngine(engine.getKey(), engine.getValue().size());
                continue;
            }
            Map<Metric, CompletableFuture<Answer>> futures = new EnumMap<>(Metric.class);
            ofEngine.forEach((metric, promql) -> futures.put(metric,
                    CompletableFuture.supplyAsync(() -> ask(engine.getKey(), metric, promql, t), executor)));
            pending.put(engine.getKey(), futures);
            queries += futures.size();
        }
        int snapshots = 0;
        int dueCount = 0;
        // engines are published in the order their queries finish, each as soon as all five have answered
        BlockingQueue<String> answered = new LinkedBlockingQueue<>();
        // the tick ends by the time the next one is due, answered or not: each query has its own deadline, but queued
        // behind others (maxInFlight) they could add up to more than an interval
        long deadlineNanos = System.nanoTime() + interval.toNanos();
        pending.forEach((engine, futures) -> CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new))
                .whenComplete((done, error) -> answered.add(engine)));
        for (int n = 0; n < pending.size(); n++) {
            String engineName;
            try {
                engineName = answered.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // shutting down: the tick's transaction is not committed
                break;
            }
            if (engineName == null) {
                int left = pending.size() - n;
                metrics.tickDeadlineExceeded(left);
                failed += left;
                log.warn("Tick {}: {} engine(s) had not answered within the interval ({}); left out of this tick", t,
                        left, interval);
                break;
            }
            Map.Entry<String, Map<Metric, CompletableFuture<Answer>>> engine = Map.entry(engineName,
                    pending.get(engineName));
            Map<Metric, Map<String, Double>> answers = new EnumMap<>(Metric.class);
            for (Map.Entry<Metric, CompletableFuture<Answer>> f : engine.getValue().entrySet()) {
                Answer answer = f.getValue().join();
                if (answer.values() == null) {
                    failed++;
                } else {
                    answers.put(f.getKey(), answer.values());
                }
            }
            List<DatabaseRef> databases = due.get(engine.getKey());
            dueCount += databases.size();
            snapshots += fanOut(engine.getKey(), databases, answers, inventory, t, sink);
            sink.flushBatch(); // this engine's snapshots are visible without waiting for the other engines
        }
        metrics.snapshots(snapshots);
        return new Outcome(queries, snapshots, failed, dueCount, tombstones);
    }

    private long nanos() {
        Instant now = clock.instant();
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }

    private Map<String, List<DatabaseRef>> dueByEngine(Inventory inventory, Instant t) {
        Map<String, List<DatabaseRef>> due = new LinkedHashMap<>();
        for (DatabaseRef database : inventory.databases()) {
            long every = inventory.intervalOf(database.databaseId(), interval).toMillis();
            if (Math.floorMod(t.toEpochMilli(), every) == 0) {
                due.computeIfAbsent(database.engine(), e -> new ArrayList<>()).add(database);
            }
        }
        return due;
    }

    /** Values by database id, or {@code null} values when the query failed. */
    private record Answer(Map<String, Double> values) {}

    private Answer ask(String engine, Metric metric, String promql, Instant t) {
        long started = nanos();
        try {
            List<Sample> samples = querier.query(promql, t);
            metrics.query(engine, metric.wireName(), "ok", nanos() - started);
            return new Answer(byDatabase(samples, engine, metric));
        } catch (PrometheusException e) {
            metrics.query(engine, metric.wireName(), e.kind().tag(), nanos() - started);
            if (e.kind() == PrometheusException.Kind.QUERY_ERROR) {
                log.error("Prometheus refused the query of engine={} metric={}: fix the catalogue: {} ({})", engine,
                        metric.wireName(), e.getMessage(), promql);
            } else if (e.kind() != PrometheusException.Kind.BREAKER_OPEN) {
                log.warn("Query engine={} metric={} at {} failed ({}): {}", engine, metric.wireName(), t, e.kind(),
                        e.getMessage());
            }
            return new Answer(null);
        } catch (RuntimeException e) {
            metrics.query(engine, metric.wireName(), "bug", nanos() - started);
            log.error("Query engine={} metric={} at {} failed unexpectedly", engine, metric.wireName(), t, e);
            return new Answer(null);
        }
    }

    private int fanOut(String engine, List<DatabaseRef> databases, Map<Metric, Map<String, Double>> answers,
            Inventory inventory, Instant t, SnapshotSink sink) {
        if (answers.isEmpty()) {
            // Prometheus answered nothing for this engine: publishing all-null snapshots would hide the last good
            // values behind invented gaps, so nothing is published and the readers see the data age.
            metrics.engineSkipped(engine);
            return 0;
        }
        int published = 0;
        for (DatabaseRef database : databases) {
            Map<Metric, Double> values = new EnumMap<>(Metric.class);
            answers.forEach((metric, byId) -> {
                Double v = byId.get(database.databaseId());
                if (v != null) {
                    values.put(metric, v);
                }
            });
            if (values.isEmpty()) {
                // No series at all for this database (exporter down, target gone): the last good snapshot ages.
                metrics.noData(engine);
                continue;
            }
            int seconds = (int) inventory.intervalOf(database.databaseId(), interval).toSeconds();
            sink.publish(MetricsSnapshot.of(database, t, seconds, values));
            published++;
        }
        return published;
    }

    private Map<String, Double> byDatabase(List<Sample> samples, String engine, Metric metric) {
        Map<String, Double> values = new HashMap<>();
        for (Sample sample : samples) {
            String id = sample.label("database_id");
            double value = sample.value();
            if (id == null) {
                metrics.badAnswer("unlabelled_sample", engine, metric);
            } else if (Double.isNaN(value)) {
                metrics.badAnswer("nan", engine, metric);
            } else if (Double.isInfinite(value)) {
                metrics.badAnswer("inf", engine, metric);
            } else if (value < 0) {
                metrics.badAnswer("negative", engine, metric);
            } else if (values.put(id, value) != null) {
                // Two series for one database: the query does not aggregate by database_id. Refuse both.
                metrics.badAnswer("duplicate_series", engine, metric);
                values.put(id, Double.NaN);
            }
        }
        values.values().removeIf(v -> v.isNaN());
        return values;
    }
}
