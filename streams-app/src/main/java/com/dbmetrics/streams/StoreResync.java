package com.dbmetrics.streams;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the mirror's backlog overflowed, re-mirrors this instance's active latest store once Redis answers again:
 * checks every second, on a thread of its own, while Kafka Streams is {@code RUNNING}. Built idle: {@link #start()}
 * starts the thread, {@link #close()} stops it (interrupting a resync under way).
 */
final class StoreResync implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StoreResync.class);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final KafkaStreams streams;
    private final RedisMirror mirror;
    private ScheduledExecutorService executor;

    StoreResync(KafkaStreams streams, RedisMirror mirror) {
        this.streams = streams;
        this.mirror = mirror;
    }

    synchronized void start() {
        if (executor != null) {
            throw new IllegalStateException("the store resync is already started");
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-resync");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::resyncIfNeeded, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    void resyncIfNeeded() {
        if (!mirror.resyncNeeded() || streams.state() != KafkaStreams.State.RUNNING) {
            return;
        }
        try {
            ReadOnlyKeyValueStore<String, MetricsSnapshot> store = streams.store(StoreQueryParameters.fromNameAndType(
                    MetricsTopology.LATEST_STORE, QueryableStoreTypes.keyValueStore()));
            // streamed from RocksDB: the resync holds at most half the mirror's backlog bound in memory
            try (KeyValueIterator<String, MetricsSnapshot> all = store.all()) {
                Iterator<MetricsSnapshot> values = new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return all.hasNext();
                    }

                    @Override
                    public MetricsSnapshot next() {
                        return all.next().value;
                    }
                };
                mirror.resync(() -> values);
            }
        } catch (InvalidStateStoreException e) {
            log.debug("Stores not queryable yet; resync later: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Redis resync failed; will retry: {}", e.toString());
        }
    }

    @Override
    public void close() {
        ScheduledExecutorService started;
        synchronized (this) {
            started = executor;
            executor = null;
        }
        if (started == null) {
            return;
        }
        started.shutdownNow();
        try {
            if (!started.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("The Redis resync thread did not stop within {} s", STOP_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
