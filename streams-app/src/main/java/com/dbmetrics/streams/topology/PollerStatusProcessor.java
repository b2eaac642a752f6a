package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.PollerStatus;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the newest poller status per breaker (by {@code updated_at}) and mirrors it. */
final class PollerStatusProcessor implements Processor<String, PollerStatus, Void, Void> {

    private final MirrorTarget mirror;
    private final TopologyCounters counters;
    private KeyValueStore<String, PollerStatus> store;

    PollerStatusProcessor(MirrorTarget mirror, TopologyCounters counters) {
        this.mirror = mirror;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(MetricsTopology.STATUS_STORE);
    }

    @Override
    public void process(Record<String, PollerStatus> record) {
        PollerStatus incoming = record.value();
        if (record.key() == null || incoming == null) {
            return;
        }
        PollerStatus current = store.get(record.key());
        if (current != null && incoming.updatedAt().isBefore(current.updatedAt())) {
            return;
        }
        store.put(record.key(), incoming);
        counters.statusUpdates.increment();
        mirror.pollerStatus(incoming);
    }
}
