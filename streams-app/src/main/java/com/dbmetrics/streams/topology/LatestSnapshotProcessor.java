package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
 *
 * <p>The guard compares with the stored snapshot's time. So that a record does not cost a store read and a JSON parse,
 * the time and project of the databases this task accepted recently are kept in memory (bounded, oldest evicted
 * first; a miss reads the store). The memory is emptied whenever Kafka Streams (re)initialises or closes the processor,
 * which it does whenever the store is rebuilt (restoration, a corrupted task after an aborted transaction, migration),
 * so it never holds an update the store lost.
 */
final class LatestSnapshotProcessor implements Processor<String, MetricsSnapshot, String, MetricsSnapshot> {

    private static final Logger log = LoggerFactory.getLogger(LatestSnapshotProcessor.class);

    /** What the guard needs of the newest snapshot of a database. */
    private record Guard(Instant timestamp, String domain, String project) {
        static Guard of(MetricsSnapshot snapshot) {
            return new Guard(snapshot.timestamp(), snapshot.domain(), snapshot.project());
        }

        String indexKey(String id) {
            return MetricsTopology.projectIndexKey(domain, project, id);
        }
    }

    private final MirrorTarget mirror;
    private final Serializer<MetricsSnapshot> serializer;
    private final TopologyCounters counters;
    private final Map<String, Guard> recent;
    private ProcessorContext<String, MetricsSnapshot> context;
    private KeyValueStore<String, MetricsSnapshot> latest;
    private KeyValueStore<String, String> projectIndex;

    /**
     * {@code serializer} is the store's and the view topic's: the bytes it gives the mirror are theirs.
     * {@code maxRecent} bounds the in-memory guards of this task.
     */
    LatestSnapshotProcessor(MirrorTarget mirror, Serializer<MetricsSnapshot> serializer, TopologyCounters counters,
            int maxRecent) {
        this.mirror = mirror;
        this.serializer = serializer;
        this.counters = counters;
        this.recent = new LinkedHashMap<>(1024) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Guard> eldest) {
                return size() > maxRecent;
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, MetricsSnapshot> context) {
        this.context = context;
        this.latest = context.getStateStore(MetricsTopology.LATEST_STORE);
        this.projectIndex = context.getStateStore(MetricsTopology.PROJECT_INDEX_STORE);
        recent.clear();
    }

    @Override
    public void close() {
        recent.clear();
    }

    @Override
    public void process(Record<String, MetricsSnapshot> record) {
        String id = record.key();
        if (id == null) {
            log.warn("Dropping snapshot without key at timestamp {}", record.timestamp());
            counters.droppedOutOfOrder.increment();
            return;
        }
        Guard current = recent.get(id);
        if (current == null) {
            MetricsSnapshot stored = latest.get(id);
            current = stored == null ? null : Guard.of(stored);
        }
        MetricsSnapshot incoming = record.value();
        if (incoming == null) {
            if (current != null) {
                latest.delete(id);
                projectIndex.delete(current.indexKey(id));
                recent.remove(id);
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
        boolean moved = current == null || !incoming.belongsTo(current.domain(), current.project());
        if (current != null && moved) {
            projectIndex.delete(current.indexKey(id));
        }
        byte[] json = serializer.serialize(MetricsTopology.LATEST_STORE, incoming);
        latest.put(id, incoming);
        if (moved) { // the index entry of a database that stays in its project is already there
            projectIndex.put(MetricsTopology.projectIndexKey(incoming.domain(), incoming.project(), id), id);
        }
        recent.put(id, Guard.of(incoming));
        counters.accepted.increment();
        mirror.snapshot(incoming, json);
        context.forward(record.withTimestamp(incoming.timestamp().toEpochMilli()));
    }
}
