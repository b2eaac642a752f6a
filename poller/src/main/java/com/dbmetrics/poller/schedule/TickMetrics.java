package com.dbmetrics.poller.schedule;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.function.Supplier;

/** The ticks on {@code /metrics}: their duration, missed, standby and aborted ones. Counts nothing until bound. */
public final class TickMetrics implements MeterBinder {

    private volatile Timer cycles;
    private volatile Counter missed;
    private volatile Counter standby;
    private volatile Counter aborted;

    public TickMetrics() {
        meters(new CompositeMeterRegistry());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        meters(registry);
    }

    private void meters(MeterRegistry registry) {
        cycles = Timer.builder("dbm_poller_cycle_duration").description("Duration of one tick, publish included")
                .publishPercentileHistogram().register(registry);
        missed = registry.counter("dbm_poller_missed_ticks_total");
        standby = registry.counter("dbm_poller_standby_ticks");
        // the publisher counts the ticks it loses under the same name
        aborted = registry.counter("dbm_poller_ticks_aborted_total");
    }

    <T> T timeCycle(Supplier<T> cycle) {
        return cycles.record(cycle);
    }

    void missed(long ticks) {
        missed.increment(ticks);
    }

    void standby() {
        standby.increment();
    }

    void aborted() {
        aborted.increment();
    }
}
