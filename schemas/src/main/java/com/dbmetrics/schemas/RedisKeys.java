package com.dbmetrics.schemas;

/**
 * Redis keys of the contract (documented in {@code schemas/redis-keys.md}). The {@code {id}} hash tag keeps a database's
 * fresh and stale keys on one Redis Cluster slot, so one script can guard and write both.
 */
public final class RedisKeys {

    /** Seconds the stale copy lives. */
    public static final int STALE_TTL_SECONDS = 300;
    /** Rate-limit keys live under this prefix. */
    public static final String RATE_LIMIT_PREFIX = "dbm:rl:";

    private RedisKeys() {}

    public static String fresh(String databaseId) {
        return "dbm:{" + databaseId + "}:fresh";
    }

    public static String stale(String databaseId) {
        return "dbm:{" + databaseId + "}:stale";
    }

    public static String pollerStatus(String breaker) {
        return "dbm:poller-status:" + breaker;
    }
}
