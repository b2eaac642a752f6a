package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import java.time.Instant;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one tick writes, and the one owner of its Kafka transactions (as Kafka's {@code TransactionManager} owns a
 * producer's): the tick runner opens it ({@link KafkaPublisher#beginTick}), hands it to the poll cycle, and ends it
 * with {@link #commit} ({@link #close} aborts what was not committed). The cycle calls {@link #flushBatch} after each
 * engine, which commits what the tick published so far and opens the next transaction, so a snapshot waits for its own
 * engine's queries, not for the whole tick. Breaker status changes queued by query threads are written here, oldest
 * first, before each commit and before any status the tick writes itself. A fenced or failed commit loses the rest of
 * the tick: later records are dropped and counted, and {@link #commit} reports the tick as not committed. Without
 * transactions (the backfill) {@link #commit} flushes. Used on the tick thread only.
 */
public final class TickTransaction implements SnapshotSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TickTransaction.class);

    private enum State { OPEN, LOST, ENDED }

    private final KafkaPublisher publisher;
    private final Producer<String, byte[]> producer;
    private final boolean transactional;
    private final SnapshotRecords records;
    private final PublishMetrics metrics;
    private final StatusChanges statuses;
    private State state = State.OPEN;

    TickTransaction(KafkaPublisher publisher, Producer<String, byte[]> producer, boolean transactional,
            SnapshotRecords records, PublishMetrics metrics, StatusChanges statuses) {
        this.publisher = publisher;
        this.producer = producer;
        this.transactional = transactional;
        this.records = records;
        this.metrics = metrics;
        this.statuses = statuses;
    }

    @Override
    public void publish(MetricsSnapshot snapshot) {
        send(records.snapshot(snapshot), "database_id=" + snapshot.databaseId());
    }

    /** A historical snapshot (header {@code dbm-backfill: true}). */
    public void publishBackfill(MetricsSnapshot snapshot) {
        send(records.backfill(snapshot), "backfill database_id=" + snapshot.databaseId());
    }

    @Override
    public void publishTombstone(String databaseId, Instant time) {
        send(records.tombstone(databaseId, time), "tombstone database_id=" + databaseId);
    }

    /** Writes the queued status changes, then {@code status}: the breaker's state as the tick ends. */
    public void publish(PollerStatus status) {
        writeStatusChanges();
        sendStatus(status);
    }

    @Override
    public void flushBatch() {
        if (state != State.OPEN) {
            return;
        }
        writeStatusChanges();
        if (!transactional) {
            return;
        }
        state = State.LOST;
        if (commitTransaction()) {
            try {
                producer.beginTransaction();
                state = State.OPEN;
            } catch (KafkaException | IllegalStateException e) {
                metrics.tickAborted();
                log.error("Cannot begin the next transaction of the tick; standing by until re-activated: {}",
                        e.toString());
                publisher.lose(producer);
            }
        }
    }

    /**
     * Commits the tick (or flushes, without transactions). Returns false when the tick is lost: fenced by a newer
     * leader (the publisher deactivates) or a Kafka failure (the transaction is aborted, the tick counted as aborted).
     */
    public boolean commit() {
        if (state != State.OPEN) {
            state = State.ENDED;
            return false; // an earlier batch of this tick failed to commit: counted then
        }
        writeStatusChanges();
        boolean committed;
        if (transactional) {
            committed = commitTransaction();
        } else {
            producer.flush();
            committed = true;
        }
        state = State.ENDED;
        return committed;
    }

    /** Aborts what was not committed (a tick that failed before its commit). */
    @Override
    public void close() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ENDED;
        if (transactional) {
            metrics.tickAborted();
            log.error("The tick ended without committing; aborting its transaction");
            abortTransaction();
        }
    }

    private void writeStatusChanges() {
        statuses.drainTo(this::sendStatus);
    }

    private void sendStatus(PollerStatus status) {
        send(records.status(status), "breaker=" + status.breaker());
    }

    private boolean commitTransaction() {
        try {
            producer.commitTransaction();
            return true;
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            metrics.fenced();
            metrics.tickAborted();
            log.warn("Fenced by a newer active poller (same transactional.id): this tick is not committed; standing by");
            publisher.lose(producer);
            return false;
        } catch (TimeoutException e) {
            // the producer now wants this very commit retried and refuses everything else (abort and the next
            // beginTransaction throw IllegalStateException): drop it; the next tick's producer fences this
            // transaction (initTransactions completes or aborts it), so no tick waits on it again
            metrics.tickAborted();
            log.error("Committing the tick timed out; recreating the producer: {}", e.toString());
            publisher.lose(producer);
            return false;
        } catch (KafkaException e) {
            metrics.tickAborted();
            log.error("Committing the tick failed; aborting it: {}", e.toString());
            abortTransaction();
            return false;
        }
    }

    private void abortTransaction() {
        try {
            producer.abortTransaction();
        } catch (KafkaException | IllegalStateException abort) {
            log.error("Aborting failed too; recreating the producer: {}", abort.toString());
            publisher.lose(producer);
        }
    }

    private void send(ProducerRecord<String, byte[]> record, String what) {
        if (state != State.OPEN) {
            metrics.dropped();
            return;
        }
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    metrics.produced();
                } else {
                    metrics.failed();
                    log.error("Failed to produce {} to topic {}: {}", what, record.topic(), error.toString());
                }
            });
        } catch (RuntimeException e) {
            metrics.failed();
            log.error("Could not hand {} to the producer for topic {}: {}", what, record.topic(), e.toString());
        }
    }
}
