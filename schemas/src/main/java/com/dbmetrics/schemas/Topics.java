package com.dbmetrics.schemas;

/** Topic names and record headers of the Kafka contract (docs/architecture.md, Kafka). */
public final class Topics {

    /** History of snapshots, key = database id; tombstone when a database is removed. Retention 7 days. */
    public static final String SNAPSHOTS = "dbmetrics.snapshots.v1";
    /** Compacted latest snapshot per database (event-time guarded). */
    public static final String LATEST = "dbmetrics.latest.v1";
    /** Compacted poller breaker status, key = breaker name. */
    public static final String POLLER_STATUS = "dbmetrics.poller-status.v1";
    /** Dead letters: original key and bytes plus error headers. */
    public static final String SNAPSHOTS_DLQ = "dbmetrics.snapshots.dlq.v1";
    /** One partition; its consumer group elects the active poller. */
    public static final String POLLER_ELECTION = "dbmetrics.poller-election.v1";

    /** Epoch milliseconds at which the poller produced the record, so lag can be measured. */
    public static final String HEADER_PRODUCED_AT = "dbm-produced-at";
    /** {@code true} on backfilled records. */
    public static final String HEADER_BACKFILL = "dbm-backfill";
    /** Dead-letter headers. */
    public static final String HEADER_ERROR = "dbm-error";
    public static final String HEADER_SOURCE_TOPIC = "dbm-source-topic";
    public static final String HEADER_SOURCE_PARTITION = "dbm-source-partition";
    public static final String HEADER_SOURCE_OFFSET = "dbm-source-offset";

    private Topics() {}
}
