package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.MetricsSnapshot;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the newest snapshot per database by event time: an older or equal snapshot is dropped and counted; a tombstone
 * deletes. Accepted updates go downstream (the compacted view topic) and to the mirror.
 */
final class LatestSnapshotProcessor implements Processor<String, MetricsSnapshot, String, MetricsSnapshot> {

    private static final Logger log = LoggerFactory.getLogger(LatestSnapshotProcessor.class);

    private final MirrorTarget mirror;
    private final Serializer<MetricsSnapshot> serializer;
    private final TopologyCounters counters;
    private ProcessorContext<String, MetricsSnapshot> context;
    private KeyValueStore<String, MetricsSnapshot> latest;
    private KeyValueStore<String, String> projectIndex;

    /** {@code serializer} is the store's and the view topic's: the bytes it gives the mirror are theirs. */
    LatestSnapshotProcessor(MirrorTarget mirror, Serializer<MetricsSnapshot> serializer, TopologyCounters counters) {
        this.mirror = mirror;
        this.serializer = serializer;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<String, MetricsSnapshot> context) {
        this.context = context;
        this.latest = context.getStateStore(MetricsTopology.LATEST_STORE);
        this.projectIndex = context.getStateStore(MetricsTopology.PROJECT_INDEX_STORE);
    }

    @Override
    public void process(Record<String, MetricsSnapshot> record) {
        String id = record.key();
        if (id == null) {
            log.warn("Dropping snapshot without key at timestamp {}", record.timestamp());
            counters.droppedOutOfOrder.increment();
            return;
        }
        MetricsSnapshot current = latest.get(id);
        MetricsSnapshot incoming = record.value();
        if (incoming == null) {
            if (current != null) {
                latest.delete(id);
                projectIndex.delete(MetricsTopology.projectIndexKey(current.domain(), current.project(), id));
            }
            counters.tombstones.increment();
            mirror.tombstone(id, record.timestamp());
            context.forward(record);
            return;
        }
        if (!id.equals(incoming.databaseId())) {
            log.warn("Dropping snapshot whose key {} differs from its database_id {}", id, incoming.databaseId());
            counters.droppedOutOfOrder.increment();
            return;
        }
        if (current != null && !incoming.timestamp().isAfter(current.timestamp())) {
            counters.droppedOutOfOrder.increment();
            return;
        }
        boolean moved = current == null || !current.belongsTo(incoming.domain(), incoming.project());
        if (current != null && moved) {
            projectIndex.delete(MetricsTopology.projectIndexKey(current.domain(), current.project(), id));
        }
        byte[] json = serializer.serialize(MetricsTopology.LATEST_STORE, incoming);
        latest.put(id, incoming);
        if (moved) { // the index entry of a database that stays in its project is already there
            projectIndex.put(MetricsTopology.projectIndexKey(incoming.domain(), incoming.project(), id), id);
        }
        counters.accepted.increment();
        mirror.snapshot(incoming, json);
        context.forward(record.withTimestamp(incoming.timestamp().toEpochMilli()));
    }
}
