package com.dbmetrics.streams.topology;

import java.util.concurrent.atomic.LongAdder;

/** Counts what the topology accepted and dropped; shared by every stream thread, read by /metrics. */
public final class TopologyCounters {
    public final LongAdder accepted = new LongAdder();
    public final LongAdder droppedOutOfOrder = new LongAdder();
    public final LongAdder tombstones = new LongAdder();
    public final LongAdder statusUpdates = new LongAdder();
}
