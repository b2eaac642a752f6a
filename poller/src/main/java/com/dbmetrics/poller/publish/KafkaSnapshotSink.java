package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces snapshots to {@link Topics#SNAPSHOTS} (key = database id, record timestamp = evaluation time, header
 * {@code dbm-produced-at}) and breaker status to {@link Topics#POLLER_STATUS} (key = breaker name).
 *
 * <p>It produces only while active. With a transactional id (the active/standby setup) every tick is one Kafka
 * transaction, and activating calls {@code initTransactions()}, which fences any earlier producer with the same id: a
 * paused former leader that wakes up cannot commit, so its tick never becomes visible to read_committed consumers.
 * Activation and ticks run on the tick thread; sends may come from query threads (breaker transitions) within a tick.
 */
public final class KafkaSnapshotSink implements SnapshotSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSnapshotSink.class);

    private final Supplier<Producer<String, byte[]>> producers;
    private final boolean transactional;
    private final Serializer<MetricsSnapshot> snapshots;
    private final Serializer<PollerStatus> statuses;
    private final Clock clock;
    private final Counter produced;
    private final Counter failed;
    private final Counter dropped;
    private final Counter fenced;
    private final Counter abortedTicks;
    private volatile Producer<String, byte[]> producer;
    /** A transaction of the current tick is open (transactional sinks only; ticks run on one thread). */
    private volatile boolean inTransaction;

    public KafkaSnapshotSink(Supplier<Producer<String, byte[]>> producers, boolean transactional,
            Serializer<MetricsSnapshot> snapshots, Serializer<PollerStatus> statuses, Clock clock,
            MeterRegistry registry) {
        this.producers = producers;
        this.transactional = transactional;
        this.snapshots = snapshots;
        this.statuses = statuses;
        this.clock = clock;
        this.produced = registry.counter("dbm_poller_records_produced_total");
        this.failed = registry.counter("dbm_poller_records_failed_total");
        this.dropped = registry.counter("dbm_poller_records_dropped_inactive_total");
        this.fenced = registry.counter("dbm_poller_producer_fenced_total");
        this.abortedTicks = registry.counter("dbm_poller_ticks_aborted_total");
    }

    /** Creates the producer (and, when transactional, fences older ones); false when Kafka could not be reached. */
    public boolean activate() {
        if (producer != null) {
            return true;
        }
        Producer<String, byte[]> created = producers.get();
        try {
            if (transactional) {
                created.initTransactions();
            }
        } catch (KafkaException e) {
            log.error("Could not initialise the transactional producer: {}", e.toString());
            created.close(Duration.ZERO);
            return false;
        }
        producer = created;
        return true;
    }

    /** Stops producing: what is not committed is aborted by Kafka's transaction timeout or the next leader. */
    public void deactivate() {
        Producer<String, byte[]> current = producer;
        producer = null;
        if (current != null) {
            current.close(Duration.ofSeconds(5));
        }
    }

    public boolean isActive() {
        return producer != null;
    }

    /** Starts the tick's transaction (no-op without transactions); false when there is nothing to produce with. */
    public boolean beginTick() {
        Producer<String, byte[]> current = producer;
        if (current == null) {
            return false;
        }
        if (transactional) {
            try {
                current.beginTransaction();
                inTransaction = true;
            } catch (KafkaException e) {
                log.error("Cannot begin the tick's transaction; standing by until re-activated: {}", e.toString());
                producer = null;
                current.close(Duration.ZERO);
                return false;
            }
        }
        return true;
    }

    /**
     * Makes what this tick published so far visible: commits the open transaction and opens the next. The poll cycle
     * calls it after each engine, so a snapshot waits for its own engine's queries, not for the whole tick (with 10,000
     * databases a tick takes seconds). A fenced or failed commit loses the rest of the tick: later records are dropped
     * and counted, and {@link #endTick} reports the tick as not committed.
     */
    @Override
    public void flushBatch() {
        Producer<String, byte[]> current = producer;
        if (current == null || !transactional || !inTransaction) {
            return;
        }
        inTransaction = false;
        if (commit(current)) {
            try {
                current.beginTransaction();
                inTransaction = true;
            } catch (KafkaException e) {
                abortedTicks.increment();
                log.error("Cannot begin the next transaction of the tick; standing by until re-activated: {}",
                        e.toString());
                producer = null;
                current.close(Duration.ZERO);
            }
        }
    }

    /**
     * Commits the tick (or flushes, without transactions). Returns false when the tick is lost: fenced by a newer
     * leader (this sink deactivates) or a Kafka failure (the transaction is aborted, the tick counted as aborted).
     */
    public boolean endTick() {
        Producer<String, byte[]> current = producer;
        if (current == null) {
            return false;
        }
        if (!transactional) {
            current.flush();
            return true;
        }
        if (!inTransaction) {
            return false; // an earlier batch of this tick failed to commit: counted then
        }
        inTransaction = false;
        return commit(current);
    }

    private boolean commit(Producer<String, byte[]> current) {
        try {
            current.commitTransaction();
            return true;
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            fenced.increment();
            abortedTicks.increment();
            log.warn("Fenced by a newer active poller (same transactional.id): this tick is not committed; standing by");
            producer = null;
            current.close(Duration.ZERO);
            return false;
        } catch (KafkaException e) {
            abortedTicks.increment();
            log.error("Committing the tick failed; aborting it: {}", e.toString());
            try {
                current.abortTransaction();
            } catch (KafkaException abort) {
                log.error("Aborting failed too; recreating the producer: {}", abort.toString());
                producer = null;
                current.close(Duration.ZERO);
            }
            return false;
        }
    }

    /** Producer settings: idempotent, acks=all, small linger so one tick's snapshots travel in few batches. */
    public static Producer<String, byte[]> newProducer(String bootstrapServers, String clientId,
            String transactionalId) {
        Map<String, Object> config = new HashMap<>();
        if (transactionalId != null) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        }
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // Broker unavailable: a send blocks at most 5 s for metadata or buffer space, a record is given up
        // after 20 s, and the 32 MiB buffer bounds what waits; failures are counted, the scheduler goes on.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class);
        return new KafkaProducer<>(config);
    }

    @Override
    public void publish(MetricsSnapshot snapshot) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.SNAPSHOTS, null,
                snapshot.timestamp().toEpochMilli(), snapshot.databaseId(),
                snapshots.serialize(Topics.SNAPSHOTS, snapshot));
        send(record, "database_id=" + snapshot.databaseId());
    }

    /** A historical snapshot (header {@code dbm-backfill: true}); its record timestamp is its evaluation time. */
    public void publishBackfill(MetricsSnapshot snapshot) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.SNAPSHOTS, null,
                snapshot.timestamp().toEpochMilli(), snapshot.databaseId(),
                snapshots.serialize(Topics.SNAPSHOTS, snapshot));
        record.headers().add(Topics.HEADER_BACKFILL, "true".getBytes(StandardCharsets.UTF_8));
        send(record, "backfill database_id=" + snapshot.databaseId());
    }

    @Override
    public void publish(PollerStatus status) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.POLLER_STATUS, null,
                status.updatedAt().toEpochMilli(), status.breaker(), statuses.serialize(Topics.POLLER_STATUS, status));
        send(record, "breaker=" + status.breaker());
    }

    @Override
    public void publishTombstone(String databaseId, Instant time) {
        send(new ProducerRecord<String, byte[]>(Topics.SNAPSHOTS, null, time.toEpochMilli(), databaseId, (byte[]) null),
                "tombstone database_id=" + databaseId);
    }

    private void send(ProducerRecord<String, byte[]> record, String what) {
        Producer<String, byte[]> producer = this.producer;
        if (producer == null || (transactional && !inTransaction)) {
            dropped.increment();
            return;
        }
        record.headers().add(Topics.HEADER_PRODUCED_AT,
                Long.toString(clock.millis()).getBytes(StandardCharsets.UTF_8));
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    produced.increment();
                } else {
                    failed.increment();
                    log.error("Failed to produce {} to topic {}: {}", what, record.topic(), error.toString());
                }
            });
        } catch (RuntimeException e) {
            failed.increment();
            log.error("Could not hand {} to the producer for topic {}: {}", what, record.topic(), e.toString());
        }
    }

    @Override
    public void close() {
        deactivate();
    }
}
