package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The streams-app topology, built by one pure function (no I/O): snapshots → event-time guarded latest store (+ project
 * index) → {@code dbmetrics.latest.v1} and the Redis mirror; snapshots → history store (every snapshot of the
 * retention); poller status → status store → Redis mirror.
 */
public final class MetricsTopology {

    /** Latest snapshot per database id. */
    public static final String LATEST_STORE = "latest-snapshots";
    /** Project index: key {@code domain/project/database_id}, value database id; prefix-scanned per project. */
    public static final String PROJECT_INDEX_STORE = "project-index";
    /** Latest poller status per breaker. */
    public static final String STATUS_STORE = "poller-status";
    /**
     * Every snapshot of each database over the history retention: a window store keyed by database id at the
     * snapshot's event time (one point per database and event time; a replay writes the same points again).
     */
    public static final String HISTORY_STORE = "snapshot-history";
    /** Retention of {@link #HISTORY_STORE} when none is given. */
    public static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofHours(1);

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
        return build(topics, mapper, mirror, counters, DEFAULT_HISTORY_RETENTION);
    }

    /** The topology whose history store keeps {@code historyRetention} of snapshots. */
    public static Topology build(TopicNames topics, ObjectMapper mapper, MirrorTarget mirror,
            TopologyCounters counters, Duration historyRetention) {
        return build(topics, mapper, mirror, counters, RECENT_GUARDS_PER_TASK, historyRetention);
    }

    static Topology build(TopicNames topics, ObjectMapper mapper, MirrorTarget mirror, TopologyCounters counters,
            int recentGuardsPerTask) {
        return build(topics, mapper, mirror, counters, recentGuardsPerTask, DEFAULT_HISTORY_RETENTION);
    }

    static Topology build(TopicNames topics, ObjectMapper mapper, MirrorTarget mirror, TopologyCounters counters,
            int recentGuardsPerTask, Duration historyRetention) {
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
        // the history takes every snapshot, also those older than the latest (backfills, replays): a second
        // processor of the same source, so its store lives in the same tasks (same owner per key) as the latest
        topology.addProcessor("history", () -> new HistoryProcessor(counters), "snapshots-source");
        topology.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(HISTORY_STORE,
                historyRetention, HISTORY_WINDOW, false), Serdes.String(), snapshotSerde).withCachingDisabled(),
                "history");

        topology.addSource("status-source", Serdes.String().deserializer(), statusSerde, topics.pollerStatus());
        topology.addProcessor("status", () -> new PollerStatusProcessor(mirror, counters), "status-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATUS_STORE),
                Serdes.String(), statusSerde).withCachingDisabled(), "status");
        return topology;
    }

    /** Window size of the history store: a point in time (each snapshot is stored at its event time). */
    static final Duration HISTORY_WINDOW = Duration.ofMillis(1);

    /** Key of the project index: every database of a project shares the prefix {@link #projectPrefix}. */
    public static String projectIndexKey(String domain, String project, String databaseId) {
        return projectPrefix(domain, project) + databaseId;
    }

    /** The project index's key prefix of every project of a domain. */
    public static String domainPrefix(String domain) {
        return domain + "/";
    }

    public static String projectPrefix(String domain, String project) {
        // '/' never occurs in an identifier, so prefixes of different projects cannot overlap.
        return domainPrefix(domain) + project + "/";
    }
}
