package com.dbmetrics.poller.schedule;

import com.dbmetrics.schemas.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The poll cycle's self-metrics ({@code /metrics}): queries by engine, metric and outcome with their latency, bad
 * answers by kind, snapshots, tombstones, databases known, refused labels. Counts nothing until bound; the meters
 * whose tags come from the answers (engine, metric, outcome) are registered as they first occur.
 */
public final class PollerMetrics implements MeterBinder {

    private final AtomicInteger databases = new AtomicInteger();
    /** Until bound, a registry without children: what is counted goes nowhere. */
    private volatile MeterRegistry registry = new CompositeMeterRegistry();

    /** A new instance bound to {@code registry}. */
    public static PollerMetrics boundTo(MeterRegistry registry) {
        PollerMetrics metrics = new PollerMetrics();
        metrics.bindTo(registry);
        return metrics;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registry.gauge("dbm_poller_databases", databases);
        this.registry = registry;
    }

    void query(String engine, String metric, String outcome, long nanos) {
        Counter.builder("dbm_poller_queries").description("Prometheus queries by engine, metric and outcome")
                .tags("engine", engine, "metric", metric, "outcome", outcome).register(registry).increment();
        Timer.builder("dbm_poller_query_duration").description("Latency of Prometheus queries, slot wait included")
                .tags("engine", engine).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    void badAnswer(String kind, String engine, Metric metric) {
        registry.counter("dbm_poller_bad_values", "kind", kind, "engine", engine, "metric", metric.wireName())
                .increment();
    }

    void discoveryRejected(int targets, int intervals) {
        registry.counter("dbm_poller_discovery_rejected").increment(targets);
        registry.counter("dbm_poller_interval_refused").increment(intervals);
    }

    /** A tick whose queries had not all answered by its deadline: {@code engines} were left out of it. */
    void tickDeadlineExceeded(int engines) {
        registry.counter("dbm_poller_tick_deadline_exceeded").increment();
        registry.counter("dbm_poller_engines_left_out").increment(engines);
    }

    void tombstone() {
        registry.counter("dbm_poller_tombstones").increment();
    }

    void databasesKnown(int count) {
        databases.set(count);
    }

    void unknownEngine(String engine, int databases) {
        registry.counter("dbm_poller_unknown_engine", "engine", engine).increment(databases);
    }

    void engineSkipped(String engine) {
        registry.counter("dbm_poller_engine_skipped", "engine", engine).increment();
    }

    void noData(String engine) {
        registry.counter("dbm_poller_no_data", "engine", engine).increment();
    }

    void snapshots(int count) {
        registry.counter("dbm_poller_snapshots").increment(count);
    }
}
