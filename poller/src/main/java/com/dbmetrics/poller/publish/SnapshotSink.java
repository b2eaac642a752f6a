package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;

/** Where the poll cycle delivers its results; Kafka in production, a list in unit tests. */
public interface SnapshotSink {

    void publish(MetricsSnapshot snapshot);

    void publish(PollerStatus status);
}
