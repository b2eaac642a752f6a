package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

/**
 * Reads this instance's stores and says who owns a key ({@code queryMetadataForKey}) and which other instances host
 * stores; as kafka-streams-examples' {@code MetadataService}, apart from HTTP ({@link IqHandlers}, {@link IqForwarder}).
 */
public final class SnapshotQueries {

    private final KafkaStreams streams;
    private final HostInfo self;

    public SnapshotQueries(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    /**
     * The latest snapshot of {@code id}: from the active store when this instance owns it; when {@code localOnly}
     * (a forwarded request, or the owner is unreachable) also from a standby or restoring copy, with its lag.
     */
    public StoreResult<MetricsSnapshot> snapshot(String id, boolean localOnly) {
        return lookup(MetricsTopology.LATEST_STORE, id, localOnly);
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

    /** The project's snapshots held by this instance, sorted by database id, after {@code cursor}, at most limit. */
    public StoreResult<List<MetricsSnapshot>> localProjectPage(String domain, String project, String cursor,
            int limit) {
        try {
            ReadOnlyKeyValueStore<String, String> index = streams.store(StoreQueryParameters.fromNameAndType(
                    MetricsTopology.PROJECT_INDEX_STORE, QueryableStoreTypes.<String, String>keyValueStore())
                    .enableStaleStores());
            ReadOnlyKeyValueStore<String, MetricsSnapshot> latest = streams.store(StoreQueryParameters.fromNameAndType(
                    MetricsTopology.LATEST_STORE, QueryableStoreTypes.<String, MetricsSnapshot>keyValueStore())
                    .enableStaleStores());
            String prefix = MetricsTopology.projectPrefix(domain, project);
            List<String> ids = new ArrayList<>();
            try (KeyValueIterator<String, String> it = index.prefixScan(prefix, Serdes.String().serializer())) {
                while (it.hasNext()) {
                    String id = it.next().value;
                    if (cursor == null || id.compareTo(cursor) > 0) {
                        ids.add(id);
                    }
                }
            }
            ids.sort(null);
            List<MetricsSnapshot> page = new ArrayList<>();
            for (String id : ids) {
                if (page.size() >= limit) {
                    break;
                }
                MetricsSnapshot snapshot = latest.get(id);
                if (snapshot != null && snapshot.belongsTo(domain, project)) {
                    page.add(snapshot);
                }
            }
            return new StoreResult.Found<>(page, maxLag(MetricsTopology.LATEST_STORE));
        } catch (InvalidStateStoreException e) {
            return new StoreResult.Unavailable<>("stores are rebalancing or restoring");
        }
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

    private <V> StoreResult<V> lookup(String store, String key, boolean localOnly) {
        KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
        } catch (IllegalStateException | InvalidStateStoreException e) { // not started yet, or stopping
            return new StoreResult.Unavailable<>("streams-app is not running");
        }
        if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            return localOnly ? local(store, key, -1, true) : new StoreResult.Unavailable<>("rebalancing");
        }
        if (self.equals(metadata.activeHost())) {
            return local(store, key, metadata.partition(), false);
        }
        if (localOnly) {
            return local(store, key, metadata.partition(), true);
        }
        return new StoreResult.OnOtherHost<>(metadata.activeHost());
    }

    private <V> StoreResult<V> local(String store, String key, int partition, boolean stale) {
        try {
            StoreQueryParameters<ReadOnlyKeyValueStore<String, V>> params = StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.keyValueStore());
            if (partition >= 0) {
                params = params.withPartition(partition);
            }
            if (stale) {
                params = params.enableStaleStores();
            }
            V value = streams.store(params).get(key);
            long lag = stale ? lag(store, partition) : 0;
            return value == null ? new StoreResult.NotFound<>() : new StoreResult.Found<>(value, lag, stale);
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
