package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads this instance's stores and says who owns a key ({@code queryMetadataForKey}) and which other instances host
 * stores; as kafka-streams-examples' {@code MetadataService}, apart from HTTP ({@link IqHandlers}, {@link IqForwarder}).
 */
public final class SnapshotQueries {

    private final KafkaStreams streams;
    private final HostInfo self;
    /** The topic whose partitions the latest and project-index stores are split by. */
    private final String snapshotsTopic;

    public SnapshotQueries(KafkaStreams streams, HostInfo self, String snapshotsTopic) {
        this.streams = streams;
        this.self = self;
        this.snapshotsTopic = snapshotsTopic;
    }

    /**
     * This instance's part of a project listing, and the partitions of the snapshots topic it covers: those whose
     * stores it could read. A partition whose task is being rebuilt from scratch cannot be read, and its databases are
     * then missing from the part: the gatherer needs to know which.
     */
    public record ProjectPart(List<MetricsSnapshot> snapshots, Set<Integer> partitions) {}

    /**
     * The latest snapshot of {@code id}: from the active store when this instance owns it; when {@code localOnly}
     * (a forwarded request, or the owner is unreachable) also from a standby or restoring copy, with its lag.
     */
    public StoreResult<MetricsSnapshot> snapshot(String id, boolean localOnly) {
        return lookup(MetricsTopology.LATEST_STORE, id, localOnly);
    }

    /**
     * Every stored snapshot of {@code id} with an event time in [{@code fromMillis}, {@code toMillis}], oldest first
     * (an empty list when there is none); from the active store or, when {@code localOnly}, a standby copy too.
     */
    public StoreResult<List<MetricsSnapshot>> history(String id, long fromMillis, long toMillis, boolean localOnly) {
        return lookup(MetricsTopology.HISTORY_STORE, id, localOnly, (partition, stale) -> {
            StoreQueryParameters<ReadOnlyWindowStore<String, MetricsSnapshot>> params =
                    StoreQueryParameters.fromNameAndType(MetricsTopology.HISTORY_STORE,
                            QueryableStoreTypes.windowStore());
            List<MetricsSnapshot> points = new ArrayList<>();
            try (WindowStoreIterator<MetricsSnapshot> it = streams.store(scoped(params, partition, stale))
                    .fetch(id, Instant.ofEpochMilli(fromMillis), Instant.ofEpochMilli(toMillis))) {
                it.forEachRemaining(kv -> points.add(kv.value));
            }
            return points;
        }, true);
    }

    public StoreResult<List<PollerStatus>> pollerStatuses(String anyBreaker, boolean localOnly) {
        StoreResult<PollerStatus> owner = lookup(MetricsTopology.STATUS_STORE, anyBreaker, localOnly);
        if (owner instanceof StoreResult.OnOtherHost<PollerStatus> other) {
            return new StoreResult.OnOtherHost<>(other.host());
        }
        if (owner instanceof StoreResult.Unavailable<PollerStatus> unavailable) {
            return new StoreResult.Unavailable<>(unavailable.reason());
        }
        boolean standby = localOnly && !activeHere(MetricsTopology.STATUS_STORE, anyBreaker);
        return allLocal(MetricsTopology.STATUS_STORE, localOnly, standby);
    }

    /**
     * The project's snapshots held by this instance, sorted by database id, after {@code cursor}, at most limit;
     * project {@code *}: every project of the domain.
     */
    public StoreResult<ProjectPart> localProjectPage(String domain, String project, String cursor, int limit) {
        Set<Integer> partitions;
        try {
            partitions = partitionsOf(self);
        } catch (IllegalStateException | InvalidStateStoreException e) { // not started yet, or stopping
            return new StoreResult.Unavailable<>("streams-app is not running");
        }
        boolean wholeDomain = project.equals(IqHandlers.ALL_PROJECTS);
        String prefix = wholeDomain ? MetricsTopology.domainPrefix(domain)
                : MetricsTopology.projectPrefix(domain, project);
        // database id -> the latest store of its partition, read partition by partition (restoring and standby
        // copies too), so that a partition that cannot be read is known rather than silently left out
        TreeMap<String, ReadOnlyKeyValueStore<String, MetricsSnapshot>> ids = new TreeMap<>();
        Set<Integer> covered = new TreeSet<>();
        for (int partition : partitions) {
            try {
                ReadOnlyKeyValueStore<String, String> index = streams.store(scoped(StoreQueryParameters.fromNameAndType(
                        MetricsTopology.PROJECT_INDEX_STORE, QueryableStoreTypes.<String, String>keyValueStore()),
                        partition, true));
                ReadOnlyKeyValueStore<String, MetricsSnapshot> latest = streams.store(scoped(
                        StoreQueryParameters.fromNameAndType(MetricsTopology.LATEST_STORE,
                                QueryableStoreTypes.<String, MetricsSnapshot>keyValueStore()), partition, true));
                try (KeyValueIterator<String, String> it = index.prefixScan(prefix, Serdes.String().serializer())) {
                    while (it.hasNext()) {
                        String id = it.next().value;
                        if (cursor == null || id.compareTo(cursor) > 0) {
                            ids.put(id, latest);
                        }
                    }
                }
                covered.add(partition);
            } catch (InvalidStateStoreException e) {
                // this partition's task is being (re)built or moved: not covered by this part
            }
        }
        if (covered.isEmpty() && !partitions.isEmpty()) {
            return new StoreResult.Unavailable<>("stores are rebalancing or restoring");
        }
        List<MetricsSnapshot> page = new ArrayList<>();
        try {
            for (Map.Entry<String, ReadOnlyKeyValueStore<String, MetricsSnapshot>> e : ids.entrySet()) {
                if (page.size() >= limit) {
                    break;
                }
                MetricsSnapshot snapshot = e.getValue().get(e.getKey());
                if (snapshot != null && (wholeDomain ? snapshot.domain().equals(domain)
                        : snapshot.belongsTo(domain, project))) {
                    page.add(snapshot);
                }
            }
        } catch (InvalidStateStoreException e) { // a task moved away meanwhile
            return new StoreResult.Unavailable<>("stores are rebalancing or restoring");
        }
        return new StoreResult.Found<>(new ProjectPart(page, covered), maxLag(MetricsTopology.LATEST_STORE));
    }

    /** The partitions of the snapshots topic {@code host} holds, active or standby (none when it holds none). */
    public Set<Integer> partitionsOf(HostInfo host) {
        Set<Integer> partitions = new TreeSet<>();
        for (StreamsMetadata m : streams.streamsMetadataForStore(MetricsTopology.LATEST_STORE)) {
            if (m.hostInfo().equals(host)) {
                addSnapshotPartitions(m.topicPartitions(), partitions);
                addSnapshotPartitions(m.standbyTopicPartitions(), partitions);
            }
        }
        return partitions;
    }

    /** Adds to {@code to} the numbers of the snapshots topic's partitions among {@code from}. */
    private void addSnapshotPartitions(Set<TopicPartition> from, Set<Integer> to) {
        for (TopicPartition tp : from) {
            if (tp.topic().equals(snapshotsTopic)) {
                to.add(tp.partition());
            }
        }
    }

    /**
     * The partitions of the snapshots topic some instance is active for: what a complete listing covers. Empty when
     * the group's metadata is not available.
     */
    public Set<Integer> activePartitions() {
        Set<Integer> partitions = new TreeSet<>();
        try {
            for (StreamsMetadata m : streams.streamsMetadataForStore(MetricsTopology.LATEST_STORE)) {
                addSnapshotPartitions(m.topicPartitions(), partitions);
            }
        } catch (IllegalStateException | InvalidStateStoreException e) {
            return Set.of();
        }
        return partitions;
    }

    /** Every other instance that hosts the latest store, for gathering a project listing. */
    public List<HostInfo> otherHosts() {
        List<HostInfo> hosts = new ArrayList<>();
        streams.streamsMetadataForStore(MetricsTopology.LATEST_STORE).forEach(m -> {
            if (!m.hostInfo().equals(self)) {
                hosts.add(m.hostInfo());
            }
        });
        return hosts;
    }

    /**
     * Whether the instances in {@code answering} (this one included) hold, as active or standby copies, every
     * partition the instances in {@code missing} are active for: then a listing gathered without the missing ones is
     * complete (from standby copies, possibly behind). False when the group's metadata is not available.
     */
    public boolean copiesCover(Collection<HostInfo> missing, Collection<HostInfo> answering) {
        Set<TopicPartition> needed = new HashSet<>();
        Set<TopicPartition> held = new HashSet<>();
        try {
            for (StreamsMetadata m : streams.streamsMetadataForStore(MetricsTopology.LATEST_STORE)) {
                if (missing.contains(m.hostInfo())) {
                    needed.addAll(m.topicPartitions());
                } else if (m.hostInfo().equals(self) || answering.contains(m.hostInfo())) {
                    held.addAll(m.topicPartitions());
                    held.addAll(m.standbyTopicPartitions());
                }
            }
        } catch (IllegalStateException | InvalidStateStoreException e) {
            return false;
        }
        return held.containsAll(needed);
    }

    /** Reads one key from one partition of a store ({@code partition} -1: any), stale copies too when asked. */
    @FunctionalInterface
    private interface StoreRead<V> {
        V read(int partition, boolean stale);
    }

    private static <S> StoreQueryParameters<S> scoped(StoreQueryParameters<S> params, int partition, boolean stale) {
        StoreQueryParameters<S> scoped = partition >= 0 ? params.withPartition(partition) : params;
        return stale ? scoped.enableStaleStores() : scoped;
    }

    private <V> StoreResult<V> lookup(String store, String key, boolean localOnly) {
        return lookup(store, key, localOnly, (partition, stale) -> streams.store(scoped(
                StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore()),
                partition, stale)).get(key), false);
    }

    /**
     * Answers {@code key} from this instance when it owns it (or, when {@code localOnly}, from any copy here), else
     * names the owner. {@code emptyIsFound}: a read that finds nothing still answers (a history without points).
     */
    private <V> StoreResult<V> lookup(String store, String key, boolean localOnly, StoreRead<V> read,
            boolean emptyIsFound) {
        KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
        } catch (IllegalStateException | InvalidStateStoreException e) { // not started yet, or stopping
            return new StoreResult.Unavailable<>("streams-app is not running");
        }
        if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            return localOnly ? local(store, -1, true, read, emptyIsFound)
                    : new StoreResult.Unavailable<>("rebalancing");
        }
        if (self.equals(metadata.activeHost())) {
            return local(store, metadata.partition(), false, read, emptyIsFound);
        }
        if (localOnly) {
            return local(store, metadata.partition(), true, read, emptyIsFound);
        }
        return new StoreResult.OnOtherHost<>(metadata.activeHost());
    }

    private <V> StoreResult<V> local(String store, int partition, boolean stale, StoreRead<V> read,
            boolean emptyIsFound) {
        try {
            V value = read.read(partition, stale);
            long lag = stale ? lag(store, partition) : 0;
            return value == null && !emptyIsFound ? new StoreResult.NotFound<>()
                    : new StoreResult.Found<>(value, lag, stale);
        } catch (InvalidStateStoreException e) {
            return new StoreResult.Unavailable<>("store " + store + " is not available on this instance now");
        }
    }

    private boolean activeHere(String store, String key) {
        try {
            KeyQueryMetadata metadata = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
            return metadata != null && self.equals(metadata.activeHost());
        } catch (IllegalStateException | InvalidStateStoreException e) {
            return false;
        }
    }

    private <V> StoreResult<List<V>> allLocal(String store, boolean stale, boolean standby) {
        try {
            StoreQueryParameters<ReadOnlyKeyValueStore<String, V>> params = StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.keyValueStore());
            List<V> values = new ArrayList<>();
            try (KeyValueIterator<String, V> it = streams.store(stale ? params.enableStaleStores() : params).all()) {
                it.forEachRemaining(kv -> values.add(kv.value));
            }
            return new StoreResult.Found<>(values, stale ? maxLag(store) : 0, standby);
        } catch (InvalidStateStoreException e) {
            return new StoreResult.Unavailable<>("store " + store + " is not available on this instance now");
        }
    }

    private long lag(String store, int partition) {
        Map<Integer, LagInfo> lags = streams.allLocalStorePartitionLags().getOrDefault(store, Map.of());
        if (partition < 0) {
            return lags.values().stream().mapToLong(LagInfo::offsetLag).max().orElse(0);
        }
        LagInfo info = lags.get(partition);
        return info == null ? 0 : info.offsetLag();
    }

    private long maxLag(String store) {
        return lag(store, -1);
    }
}
