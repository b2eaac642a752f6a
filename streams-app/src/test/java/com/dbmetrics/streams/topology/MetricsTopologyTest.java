package com.dbmetrics.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsTopologyTest {

    private static final MetricsTopology.TopicNames TOPICS = MetricsTopology.TopicNames.DEFAULT;
    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");

    private final ObjectMapper mapper = Json.newMapper();
    private final RecordingMirror mirror = new RecordingMirror();
    private final TopologyCounters counters = new TopologyCounters();
    private TopologyTestDriver driver;
    private TestInputTopic<String, MetricsSnapshot> snapshots;
    private TestInputTopic<String, byte[]> rawSnapshots;
    private TestInputTopic<String, PollerStatus> statuses;
    private TestOutputTopic<String, MetricsSnapshot> latest;

    @BeforeEach
    void setUp() {
        start(MetricsTopology.RECENT_GUARDS_PER_TASK);
    }

    /** (Re)starts the driver with a bound on the guards kept in memory (1: every other database reads the store). */
    private void start(int recentGuardsPerTask) {
        if (driver != null) {
            driver.close();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class);
        driver = new TopologyTestDriver(MetricsTopology.build(TOPICS, mapper, mirror, counters, recentGuardsPerTask),
                props);
        JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(mapper);
        snapshots = driver.createInputTopic(TOPICS.snapshots(), Serdes.String().serializer(), serde);
        rawSnapshots = driver.createInputTopic(TOPICS.snapshots(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        statuses = driver.createInputTopic(TOPICS.pollerStatus(), Serdes.String().serializer(),
                JsonSerde.pollerStatus(mapper));
        latest = driver.createOutputTopic(TOPICS.latest(), Serdes.String().deserializer(), serde);
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    static MetricsSnapshot snapshot(String id, String project, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, id + "-name", "postgresql", "acme", project), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }

    private void pipe(MetricsSnapshot s) {
        snapshots.pipeInput(s.databaseId(), s, s.timestamp());
    }

    private KeyValueStore<String, MetricsSnapshot> store() {
        return driver.getKeyValueStore(MetricsTopology.LATEST_STORE);
    }

    private List<Double> history(String id, Instant from, Instant to) {
        List<Double> points = new java.util.ArrayList<>();
        try (var it = driver.<String, MetricsSnapshot>getWindowStore(MetricsTopology.HISTORY_STORE)
                .fetch(id, from, to)) {
            it.forEachRemaining(kv -> points.add(kv.value.value(Metric.CONNECTIONS)));
        }
        return points;
    }

    @Test
    void shouldKeepEverySnapshotOfTheRetentionInTheHistoryOnceInEventTimeOrder() {
        pipe(snapshot("db1", "shop", T0.plusSeconds(10), 3));
        pipe(snapshot("db1", "shop", T0, 1)); // a backfill: older than the latest, still history
        pipe(snapshot("db1", "shop", T0.plusSeconds(5), 2));
        pipe(snapshot("db1", "shop", T0.plusSeconds(10), 3)); // replayed: the same point, once
        pipe(snapshot("db2", "shop", T0.plusSeconds(5), 7));
        snapshots.pipeInput("db1", null, T0.plusSeconds(12)); // a tombstone is no point

        assertThat(history("db1", T0, T0.plusSeconds(60))).containsExactly(1.0, 2.0, 3.0);
        assertThat(history("db1", T0.plusSeconds(1), T0.plusSeconds(9))).containsExactly(2.0);
        assertThat(history("db2", T0, T0.plusSeconds(60))).containsExactly(7.0);
        assertThat(counters.historyPoints.sum()).isEqualTo(5);
    }

    @Test
    void shouldLetPointsOlderThanTheRetentionLeaveTheHistory() {
        pipe(snapshot("db1", "shop", T0, 1));
        pipe(snapshot("db1", "shop", T0.plus(MetricsTopology.DEFAULT_HISTORY_RETENTION).plusSeconds(3600), 2));
        pipe(snapshot("db1", "shop", T0.plusSeconds(5), 9)); // far older than the retention: not kept

        assertThat(history("db1", T0.minusSeconds(1), T0.plus(java.time.Duration.ofDays(1)))).containsExactly(2.0);
    }

    @Test
    void shouldKeepNewestSnapshotAndForwardIt() {
        pipe(snapshot("db1", "shop", T0, 1));
        pipe(snapshot("db1", "shop", T0.plusSeconds(5), 2));

        assertThat(store().get("db1").value(Metric.CONNECTIONS)).isEqualTo(2.0);
        List<KeyValue<String, MetricsSnapshot>> out = latest.readKeyValuesToList();
        assertThat(out).extracting(kv -> kv.value.value(Metric.CONNECTIONS)).containsExactly(1.0, 2.0);
        assertThat(mirror.snapshots).hasSize(2);
        assertThat(counters.accepted.sum()).isEqualTo(2);
    }

    @Test
    void shouldDropOlderOrEqualSnapshotWhenReplayed() {
        pipe(snapshot("db1", "shop", T0.plusSeconds(10), 3));
        pipe(snapshot("db1", "shop", T0, 1));
        pipe(snapshot("db1", "shop", T0.plusSeconds(10), 9));

        assertThat(store().get("db1").value(Metric.CONNECTIONS)).isEqualTo(3.0);
        assertThat(latest.readKeyValuesToList()).hasSize(1);
        assertThat(mirror.snapshots).hasSize(1);
        assertThat(counters.droppedOutOfOrder.sum()).isEqualTo(2);
    }

    @Test
    void shouldGuardFromTheStoreWhenTheDatabaseIsNoLongerInMemory() {
        start(1);
        pipe(snapshot("db1", "shop", T0.plusSeconds(10), 3));
        pipe(snapshot("db2", "shop", T0, 1)); // db1's guard leaves the memory
        pipe(snapshot("db1", "shop", T0, 1)); // older: the store says so
        pipe(snapshot("db2", "blog", T0.plusSeconds(5), 2)); // moved: read from the store, index entry moves
        pipe(snapshot("db1", "shop", T0.plusSeconds(15), 4));

        assertThat(store().get("db1").value(Metric.CONNECTIONS)).isEqualTo(4.0);
        assertThat(counters.droppedOutOfOrder.sum()).isEqualTo(1);
        assertThat(projectIndexKeys("acme/shop/")).containsExactly("acme/shop/db1");
        assertThat(projectIndexKeys("acme/blog/")).containsExactly("acme/blog/db2");
    }

    @Test
    void shouldDeleteOnTombstoneAndMirrorTheDelete() {
        pipe(snapshot("db1", "shop", T0, 1));
        snapshots.pipeInput("db1", null, T0.plusSeconds(5));

        assertThat(store().get("db1")).isNull();
        assertThat(mirror.tombstones).containsExactly("db1");
        List<KeyValue<String, MetricsSnapshot>> out = latest.readKeyValuesToList();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).value).isNull();
        assertThat(projectIndexKeys("acme/shop/")).isEmpty();
    }

    @Test
    void shouldIndexDatabasesByProjectForPrefixScans() {
        pipe(snapshot("db1", "shop", T0, 1));
        pipe(snapshot("db2", "shop", T0, 1));
        pipe(snapshot("db3", "shopfront", T0, 1));

        assertThat(projectIndexKeys("acme/shop/")).containsExactly("acme/shop/db1", "acme/shop/db2");
    }

    @Test
    void shouldMoveIndexEntryWhenDatabaseChangesProject() {
        pipe(snapshot("db1", "shop", T0, 1));
        pipe(snapshot("db1", "blog", T0.plusSeconds(5), 1));

        assertThat(projectIndexKeys("acme/shop/")).isEmpty();
        assertThat(projectIndexKeys("acme/blog/")).containsExactly("acme/blog/db1");
    }

    @Test
    void shouldSkipUndeserialisableRecordAndGoOn() {
        rawSnapshots.pipeInput("db1", "{not json".getBytes());
        rawSnapshots.pipeInput("db1", "{\"database_id\":\"db1\"}".getBytes());
        pipe(snapshot("db1", "shop", T0, 7));

        assertThat(store().get("db1").value(Metric.CONNECTIONS)).isEqualTo(7.0);
    }

    @Test
    void shouldKeepNewestPollerStatusAndMirrorIt() {
        PollerStatus open = new PollerStatus("prometheus", PollerStatus.State.OPEN, T0, null, "down",
                T0.plusSeconds(10), "p1");
        PollerStatus older = new PollerStatus("prometheus", PollerStatus.State.CLOSED, T0, T0, null, T0, "p1");
        statuses.pipeInput("prometheus", open);
        statuses.pipeInput("prometheus", older);

        KeyValueStore<String, PollerStatus> store = driver.getKeyValueStore(MetricsTopology.STATUS_STORE);
        assertThat(store.get("prometheus").state()).isEqualTo(PollerStatus.State.OPEN);
        assertThat(mirror.statuses).containsExactly(open);
    }

    private List<String> projectIndexKeys(String prefix) {
        KeyValueStore<String, String> index = driver.getKeyValueStore(MetricsTopology.PROJECT_INDEX_STORE);
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, String> it = index.prefixScan(prefix, Serdes.String().serializer())) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    /** A mirror that records what it was asked to write. */
    static final class RecordingMirror implements MirrorTarget {
        final List<MetricsSnapshot> snapshots = new ArrayList<>();
        final List<String> tombstones = new ArrayList<>();
        final List<PollerStatus> statuses = new ArrayList<>();

        @Override
        public void snapshot(MetricsSnapshot snapshot, byte[] json) {
            // the bytes handed over are this snapshot's, not the previous one's (the serde memoises the last value)
            assertThat(JsonSerde.snapshots(Json.newMapper()).deserialize("check", json)).isEqualTo(snapshot);
            snapshots.add(snapshot);
        }

        @Override
        public void tombstone(String databaseId, long eventMillis) {
            tombstones.add(databaseId);
        }

        @Override
        public void pollerStatus(PollerStatus status) {
            statuses.add(status);
        }
    }
}
