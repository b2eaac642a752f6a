package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The streams-app topology, built by one pure function (no I/O): snapshots → event-time guarded latest store (+ project
 * index) → {@code dbmetrics.latest.v1} and the Redis mirror; poller status → status store → Redis mirror.
 */
public final class MetricsTopology {

    /** Latest snapshot per database id. */
    public static final String LATEST_STORE = "latest-snapshots";
    /** Project index: key {@code domain/project/database_id}, value database id; prefix-scanned per project. */
    public static final String PROJECT_INDEX_STORE = "project-index";
    /** Latest poller status per breaker. */
    public static final String STATUS_STORE = "poller-status";

    /** Topic names; production uses {@link #DEFAULT}, tests use unique ones. */
    public record TopicNames(String snapshots, String latest, String pollerStatus, String deadLetters) {
        public static final TopicNames DEFAULT = new TopicNames(Topics.SNAPSHOTS, Topics.LATEST, Topics.POLLER_STATUS,
                Topics.SNAPSHOTS_DLQ);
    }

    private MetricsTopology() {}

    /**
     * Databases per task whose guard (time and project of the newest snapshot) stays in memory: about 200 bytes each,
     * so at most ~20 MB per task; beyond it the guard reads the store.
     */
    public static final int RECENT_GUARDS_PER_TASK = 100_000;

    public static Topology build(TopicNames topics, ObjectMapper mapper, MirrorTarget mirror,
            TopologyCounters counters) {
        return build(topics, mapper, mirror, counters, RECENT_GUARDS_PER_TASK);
    }

    static Topology build(TopicNames topics, ObjectMapper mapper, MirrorTarget mirror, TopologyCounters counters,
            int recentGuardsPerTask) {
        JsonSerde<MetricsSnapshot> snapshotSerde = JsonSerde.snapshots(mapper);
        JsonSerde<PollerStatus> statusSerde = JsonSerde.pollerStatus(mapper);
        Topology topology = new Topology();

        topology.addSource("snapshots-source", Serdes.String().deserializer(), snapshotSerde, topics.snapshots());
        topology.addProcessor("latest",
                () -> new LatestSnapshotProcessor(mirror, snapshotSerde, counters, recentGuardsPerTask),
                "snapshots-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LATEST_STORE),
                Serdes.String(), snapshotSerde).withCachingDisabled(), "latest");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROJECT_INDEX_STORE),
                Serdes.String(), Serdes.String()).withCachingDisabled(), "latest");
        topology.addSink("latest-sink", topics.latest(), Serdes.String().serializer(), snapshotSerde, "latest");

        topology.addSource("status-source", Serdes.String().deserializer(), statusSerde, topics.pollerStatus());
        topology.addProcessor("status", () -> new PollerStatusProcessor(mirror, counters), "status-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATUS_STORE),
                Serdes.String(), statusSerde).withCachingDisabled(), "status");
        return topology;
    }

    /** Key of the project index: every database of a project shares the prefix {@link #projectPrefix}. */
    public static String projectIndexKey(String domain, String project, String databaseId) {
        return projectPrefix(domain, project) + databaseId;
    }

    public static String projectPrefix(String domain, String project) {
        // '/' never occurs in an identifier, so prefixes of different projects cannot overlap.
        return domain + "/" + project + "/";
    }
}
