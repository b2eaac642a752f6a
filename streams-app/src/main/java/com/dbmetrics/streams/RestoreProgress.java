package com.dbmetrics.streams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * How far this instance's active stores are from restored: the changelog records still to restore, summed over the
 * partitions being restored, and the records restored so far. Kafka Streams calls it from its restoring threads
 * ({@code KafkaStreams#setGlobalStateRestoreListener}, which despite its name covers every store); its meters
 * ({@code dbm_streams_restore*}) are bound by {@link #bindTo}. Standby updates are not restoration: they never end, and their lag is in {@code Dbm-Store-Lag}.
 *
 * <p>Offsets, as Kafka Streams reports them: the end offset is exclusive (the next offset to be written), a batch's
 * end offset is that of its last restored record. Under exactly-once the changelog also holds transaction markers, so
 * the remaining count is an upper bound by a few offsets until the partition's restoration ends.
 */
final class RestoreProgress implements StateRestoreListener, MeterBinder {

    private record Changelog(TopicPartition partition, String store) {}

    /** Offsets of one changelog partition being restored: the end to reach and the next offset to restore. */
    private record Position(long endOffset, long nextOffset) {
        long remaining() {
            return Math.max(0, endOffset - nextOffset);
        }
    }

    private final Map<Changelog, Position> restoring = new ConcurrentHashMap<>();
    private final LongAdder restored = new LongAdder();

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
        restoring.put(new Changelog(partition, store), new Position(endingOffset, startingOffset));
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        restored.add(numRestored);
        restoring.computeIfPresent(new Changelog(partition, store),
                (changelog, position) -> new Position(position.endOffset(), batchEndOffset + 1));
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        restoring.remove(new Changelog(partition, store));
    }

    /** The task moved to another instance (or was closed) before its restoration ended: nothing left to do here. */
    @Override
    public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
        restoring.remove(new Changelog(partition, store));
    }

    /**
     * The client is {@code RUNNING}: every active store is restored, so forget any restoration whose end was never
     * reported (a task closed dirty, a replaced stream thread) rather than report it forever.
     */
    void running() {
        restoring.clear();
    }

    /** Changelog records still to restore, over every partition being restored now. */
    long remainingRecords() {
        long sum = 0;
        for (Position position : restoring.values()) {
            sum += position.remaining();
        }
        return sum;
    }

    /** Changelog partitions being restored now. */
    int restoringPartitions() {
        return restoring.size();
    }

    /** Records restored since the process started. */
    long restoredRecords() {
        return restored.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dbm_streams_restore_remaining_records", this, RestoreProgress::remainingRecords)
                .description("Changelog records still to restore before the active stores are current")
                .register(registry);
        Gauge.builder("dbm_streams_restoring_partitions", this, RestoreProgress::restoringPartitions)
                .description("Changelog partitions being restored").register(registry);
        FunctionCounter.builder("dbm_streams_restored_records", this, RestoreProgress::restoredRecords)
                .description("Changelog records restored into the active stores").register(registry);
    }
}
