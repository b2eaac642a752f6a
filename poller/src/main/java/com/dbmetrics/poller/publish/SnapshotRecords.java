package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The records of the Kafka contract the poller writes. Snapshots and tombstones go to {@link Topics#SNAPSHOTS} (key =
 * database id, record timestamp = evaluation time), statuses to {@link Topics#POLLER_STATUS} (key = breaker name,
 * timestamp = {@code updated_at}); every record carries {@code dbm-produced-at}, the clock's time when it is built,
 * which is when it is handed to the producer.
 */
public final class SnapshotRecords {

    private final Serializer<MetricsSnapshot> snapshots;
    private final Serializer<PollerStatus> statuses;
    private final Clock clock;

    public SnapshotRecords(Serializer<MetricsSnapshot> snapshots, Serializer<PollerStatus> statuses, Clock clock) {
        this.snapshots = snapshots;
        this.statuses = statuses;
        this.clock = clock;
    }

    ProducerRecord<String, byte[]> snapshot(MetricsSnapshot snapshot) {
        return produced(unstamped(snapshot));
    }

    /** A historical snapshot: header {@code dbm-backfill: true}; its record timestamp is its evaluation time. */
    ProducerRecord<String, byte[]> backfill(MetricsSnapshot snapshot) {
        ProducerRecord<String, byte[]> record = unstamped(snapshot);
        record.headers().add(Topics.HEADER_BACKFILL, "true".getBytes(StandardCharsets.UTF_8));
        return produced(record);
    }

    private ProducerRecord<String, byte[]> unstamped(MetricsSnapshot snapshot) {
        return new ProducerRecord<>(Topics.SNAPSHOTS, null, snapshot.timestamp().toEpochMilli(),
                snapshot.databaseId(), snapshots.serialize(Topics.SNAPSHOTS, snapshot));
    }

    ProducerRecord<String, byte[]> status(PollerStatus status) {
        return produced(new ProducerRecord<>(Topics.POLLER_STATUS, null, status.updatedAt().toEpochMilli(),
                status.breaker(), statuses.serialize(Topics.POLLER_STATUS, status)));
    }

    ProducerRecord<String, byte[]> tombstone(String databaseId, Instant time) {
        return produced(new ProducerRecord<>(Topics.SNAPSHOTS, null, time.toEpochMilli(), databaseId, (byte[]) null));
    }

    private ProducerRecord<String, byte[]> produced(ProducerRecord<String, byte[]> record) {
        record.headers().add(Topics.HEADER_PRODUCED_AT,
                Long.toString(clock.millis()).getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
