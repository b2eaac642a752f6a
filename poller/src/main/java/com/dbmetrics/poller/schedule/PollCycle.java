package com.dbmetrics.poller.schedule;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.Inventory;
import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tick of the poller at evaluation time T: rediscover when due, then one query per engine × metric for every
 * database of that engine at once, fanned out into one snapshot per database. Prometheus load per tick is therefore
 * discovery + engines × metrics, whatever the number of databases or readers.
 */
public final class PollCycle {

    private static final Logger log = LoggerFactory.getLogger(PollCycle.class);

    private final Discovery.Querier querier;
    private final Discovery discovery;
    private final EngineCatalogue catalogue;
    private final SnapshotSink sink;
    private final Duration interval;
    private final Duration discoveryInterval;
    private final MeterRegistry registry;

    private Inventory inventory = Inventory.EMPTY;
    private Instant lastDiscovery = Instant.MIN;

    /** What one tick did, for logs and tests. */
    public record Outcome(int queries, int snapshots, int failedQueries) {}

    public PollCycle(Discovery.Querier querier, EngineCatalogue catalogue, SnapshotSink sink, Duration interval,
            Duration discoveryInterval, MeterRegistry registry) {
        this.querier = querier;
        this.discovery = new Discovery(querier);
        this.catalogue = catalogue;
        this.sink = sink;
        this.interval = interval;
        this.discoveryInterval = discoveryInterval;
        this.registry = registry;
    }

    public Inventory inventory() {
        return inventory;
    }

    /** Runs the tick for evaluation time {@code t}. Never throws for Prometheus failures: they are counted. */
    public Outcome run(Instant t) {
        int queries = 0;
        int failed = 0;
        if (!t.isBefore(lastDiscovery.plus(discoveryInterval)) || inventory.databases().isEmpty()) {
            queries++;
            try {
                Discovery.Result result = discovery.discover(t);
                registry.counter("dbm_poller_discovery_rejected_total").increment(result.rejected().size());
                if (!result.inventory().databases().isEmpty()) {
                    inventory = result.inventory();
                } else {
                    log.warn("Discovery at {} found no labelled database target; keeping the previous {} databases",
                            t, inventory.databases().size());
                }
                lastDiscovery = t;
            } catch (PrometheusException e) {
                failed++;
                countFailure(e, "discovery");
                log.warn("Discovery at {} failed ({}); keeping the previous inventory: {}", t, e.kind(), e.getMessage());
            }
        }
        int snapshots = 0;
        for (Map.Entry<String, List<DatabaseRef>> engine : inventory.byEngine().entrySet()) {
            Map<Metric, String> queriesOfEngine = catalogue.queries(engine.getKey()).orElse(Map.of());
            if (queriesOfEngine.isEmpty()) {
                registry.counter("dbm_poller_unknown_engine_total", "engine", engine.getKey()).increment();
                continue;
            }
            Map<Metric, Map<String, Double>> answers = new EnumMap<>(Metric.class);
            for (Map.Entry<Metric, String> query : queriesOfEngine.entrySet()) {
                queries++;
                try {
                    answers.put(query.getKey(), byDatabase(querier.query(query.getValue(), t), engine.getKey(),
                            query.getKey()));
                } catch (PrometheusException e) {
                    failed++;
                    countFailure(e, engine.getKey());
                    log.warn("Query engine={} metric={} at {} failed ({}): {}", engine.getKey(),
                            query.getKey().wireName(), t, e.kind(), e.getMessage());
                }
            }
            if (answers.isEmpty()) {
                // Prometheus answered nothing for this engine: publishing all-null snapshots would hide the last good
                // values behind invented gaps, so nothing is published and the readers see the data age.
                registry.counter("dbm_poller_engine_skipped_total", "engine", engine.getKey()).increment();
                continue;
            }
            for (DatabaseRef database : engine.getValue()) {
                Map<Metric, Double> values = new EnumMap<>(Metric.class);
                answers.forEach((metric, byId) -> values.put(metric, byId.get(database.databaseId())));
                sink.publish(MetricsSnapshot.of(database, t, (int) interval.toSeconds(), values));
                snapshots++;
            }
        }
        registry.counter("dbm_poller_queries_total").increment(queries);
        registry.counter("dbm_poller_snapshots_total").increment(snapshots);
        return new Outcome(queries, snapshots, failed);
    }

    private Map<String, Double> byDatabase(List<Sample> samples, String engine, Metric metric) {
        Map<String, Double> values = new HashMap<>();
        for (Sample sample : samples) {
            String id = sample.label("database_id");
            double value = sample.value();
            if (id == null) {
                registry.counter("dbm_poller_unlabelled_samples_total", "engine", engine).increment();
            } else if (Double.isNaN(value) || Double.isInfinite(value) || value < 0) {
                // Not a number we can stand behind (e.g. a division by zero): reported missing, never 0.
                registry.counter("dbm_poller_invalid_values_total", "engine", engine, "metric", metric.wireName())
                        .increment();
            } else {
                values.put(id, value);
            }
        }
        return values;
    }

    private void countFailure(PrometheusException e, String scope) {
        registry.counter("dbm_poller_query_failures_total", "kind", e.kind().name(), "scope", scope).increment();
    }
}
