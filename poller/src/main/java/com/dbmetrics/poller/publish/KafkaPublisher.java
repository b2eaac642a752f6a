package com.dbmetrics.poller.publish;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poller's producer and its active/standby state: it produces only while active. With a transactional id (the
 * active/standby setup) activating calls {@code initTransactions()}, which fences any earlier producer with the same
 * id: a paused former leader that wakes up cannot commit, so its tick never becomes visible to read_committed
 * consumers. What a tick writes goes through the one {@link TickTransaction} the tick runner opens with
 * {@link #beginTick} and ends with {@link TickTransaction#commit}. Called from the tick thread; {@link #isActive} from
 * anywhere.
 */
public final class KafkaPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);

    private final Supplier<Producer<String, byte[]>> producers;
    private final boolean transactional;
    private final SnapshotRecords records;
    private final PublishMetrics metrics = new PublishMetrics(this::isActive);
    private volatile Producer<String, byte[]> producer;

    /**
     * @param producers     creates the producer on activation ({@link Producers#create})
     * @param transactional whether the producer has a transactional id: each tick, and each batch of it, is a
     *                      transaction
     */
    public KafkaPublisher(Supplier<Producer<String, byte[]>> producers, boolean transactional,
            SnapshotRecords records) {
        this.producers = producers;
        this.transactional = transactional;
        this.records = records;
    }

    /** Records produced, failed and dropped, fencings, aborted ticks and {@code dbm_poller_active}. */
    public MeterBinder metrics() {
        return metrics;
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

    /**
     * Opens the tick's transaction (with transactions; otherwise a batch that {@code commit} flushes), which writes
     * the queued {@code statuses} too; empty when there is nothing to produce with.
     */
    public Optional<TickTransaction> beginTick(StatusChanges statuses) {
        Producer<String, byte[]> current = producer;
        if (current == null) {
            return Optional.empty();
        }
        if (transactional) {
            try {
                current.beginTransaction();
            } catch (KafkaException | IllegalStateException e) { // IllegalStateException: an unfinished transaction
                log.error("Cannot begin the tick's transaction; standing by until re-activated: {}", e.toString());
                lose(current);
                return Optional.empty();
            }
        }
        return Optional.of(new TickTransaction(this, current, transactional, records, metrics, statuses));
    }

    /** The producer is fenced or broken: drop it at once; the next tick re-activates. */
    void lose(Producer<String, byte[]> lost) {
        if (producer == lost) {
            producer = null;
        }
        lost.close(Duration.ZERO);
    }

    @Override
    public void close() {
        deactivate();
    }
}
