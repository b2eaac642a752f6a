package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.MetricsSnapshot;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Keeps every snapshot of the history retention in {@link MetricsTopology#HISTORY_STORE}, at its event time: newer,
 * older (a backfill) and repeated ones alike (a repeat overwrites the same point, so a replay adds nothing twice). A
 * snapshot older than the store's retention behind the newest one it has seen is not kept (the window store drops it).
 * Tombstones and snapshots whose key is not their database id are left to {@link LatestSnapshotProcessor}, which
 * counts them; a removed database's points leave with the retention.
 */
final class HistoryProcessor implements Processor<String, MetricsSnapshot, Void, Void> {

    private final TopologyCounters counters;
    private WindowStore<String, MetricsSnapshot> history;

    HistoryProcessor(TopologyCounters counters) {
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        history = context.getStateStore(MetricsTopology.HISTORY_STORE);
    }

    @Override
    public void process(Record<String, MetricsSnapshot> record) {
        MetricsSnapshot snapshot = record.value();
        if (snapshot == null || record.key() == null || !record.key().equals(snapshot.databaseId())) {
            return;
        }
        history.put(record.key(), snapshot, snapshot.timestamp().toEpochMilli());
        counters.historyPoints.increment();
    }
}
