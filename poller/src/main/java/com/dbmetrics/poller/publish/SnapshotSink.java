package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Instant;

/** Where the poll cycle delivers a tick's results; the tick's Kafka transaction in production, a list in unit tests. */
public interface SnapshotSink {

    void publish(MetricsSnapshot snapshot);

    /** The database is gone: downstream views drop it. {@code time} is the tick that decided it (event time). */
    void publishTombstone(String databaseId, Instant time);

    /** What was published so far in this tick may become visible now (one transaction per batch); a no-op by default. */
    default void flushBatch() {}
}
