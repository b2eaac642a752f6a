package com.dbmetrics.streams.topology;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/** Counts what the topology accepted and dropped; shared by every stream thread, bound to the process's registry. */
public final class TopologyCounters implements MeterBinder {
    final LongAdder accepted = new LongAdder();
    final LongAdder droppedOutOfOrder = new LongAdder();
    final LongAdder tombstones = new LongAdder();
    final LongAdder statusUpdates = new LongAdder();
    final LongAdder historyPoints = new LongAdder();

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "dbm_streams_snapshots_accepted", accepted);
        counter(registry, "dbm_streams_snapshots_dropped_older", droppedOutOfOrder);
        counter(registry, "dbm_streams_tombstones", tombstones);
        counter(registry, "dbm_streams_poller_status_updates", statusUpdates);
        counter(registry, "dbm_streams_history_points_written", historyPoints);
    }

    private static void counter(MeterRegistry registry, String name, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::sum).register(registry);
    }
}
