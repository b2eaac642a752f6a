package com.dbmetrics.poller.publish;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.function.BooleanSupplier;

/**
 * What the publisher did, on {@code /metrics}: records produced, failed, dropped while inactive, fencings, aborted
 * ticks, and whether this poller is the active one. Counts nothing until bound.
 */
final class PublishMetrics implements MeterBinder {

    /** A registry without children: what is counted before binding goes nowhere. */
    private static final MeterRegistry UNBOUND = new CompositeMeterRegistry();

    private final BooleanSupplier active;
    private volatile Counter produced;
    private volatile Counter failed;
    private volatile Counter dropped;
    private volatile Counter fenced;
    private volatile Counter abortedTicks;

    PublishMetrics(BooleanSupplier active) {
        this.active = active;
        counters(UNBOUND);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counters(registry);
        Gauge.builder("dbm_poller_active", active, a -> a.getAsBoolean() ? 1 : 0).strongReference(true)
                .register(registry);
    }

    private void counters(MeterRegistry registry) {
        produced = registry.counter("dbm_poller_records_produced_total");
        failed = registry.counter("dbm_poller_records_failed_total");
        dropped = registry.counter("dbm_poller_records_dropped_inactive_total");
        fenced = registry.counter("dbm_poller_producer_fenced_total");
        abortedTicks = registry.counter(ABORTED_TICKS);
    }

    /** Also counted by the tick runner when a tick cannot start (the same counter once bound). */
    static final String ABORTED_TICKS = "dbm_poller_ticks_aborted_total";

    void produced() {
        produced.increment();
    }

    void failed() {
        failed.increment();
    }

    void dropped() {
        dropped.increment();
    }

    void fenced() {
        fenced.increment();
    }

    void tickAborted() {
        abortedTicks.increment();
    }
}
