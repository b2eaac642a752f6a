package com.dbmetrics.streams.topology;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;

/** Where accepted updates are mirrored (Redis in production). Calls must not block the stream thread for long. */
public interface MirrorTarget {

    /**
     * A snapshot the store accepted as the newest of its database, with its JSON as written to the store and the view
     * topic (serialised once for all three).
     */
    void snapshot(MetricsSnapshot snapshot, byte[] json);

    /** The database was removed at {@code eventMillis}. */
    void tombstone(String databaseId, long eventMillis);

    /** The poller's breaker status changed or was refreshed. */
    void pollerStatus(PollerStatus status);
}
