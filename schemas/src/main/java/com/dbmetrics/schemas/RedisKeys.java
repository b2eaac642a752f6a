package com.dbmetrics.schemas;

/**
 * Redis keys of the contract, every one of them (documented key by key, value type and TTL in
 * {@code schemas/redis-keys.md}; {@code RedisKeysDocumentTest} fails when a key here is missing there). The
 * {@code {id}} hash tag keeps a database's fresh, stale and event-time keys on one Redis Cluster slot, so one script
 * can guard and write them together.
 */
public final class RedisKeys {

    /** Seconds the stale copy (and the event time guarding it) lives. */
    public static final int STALE_TTL_SECONDS = 300;
    /** Rate-limit keys live under this prefix. */
    public static final String RATE_LIMIT_PREFIX = "dbm:rl:";

    /**
     * Pub/sub channel of the live feed: the mirror publishes each snapshot JSON it writes to the fresh key (the same
     * bytes, in the same script call, so a message exists exactly when the newer snapshot is visible).
     */
    public static final String SNAPSHOTS_CHANNEL = "dbm:feed:snapshots";
    /**
     * Pub/sub channel of removed databases: {@code {"database_id": "<id>", "timestamp": <epoch ms>}} when the mirror
     * applies a tombstone.
     */
    public static final String REMOVED_CHANNEL = "dbm:feed:removed";

    private RedisKeys() {}

    /** The latest snapshot, {@code MetricsSnapshot} JSON, TTL {@code max(METRICS_CACHE_REDIS_TTL, interval + 5 s)}. */
    public static String fresh(String databaseId) {
        return "dbm:{" + databaseId + "}:fresh";
    }

    /** The same JSON as {@link #fresh}, kept {@link #STALE_TTL_SECONDS}. */
    public static String stale(String databaseId) {
        return "dbm:{" + databaseId + "}:stale";
    }

    /** Event time of the stored copy, epoch milliseconds as a decimal string: what the mirror's guard compares. */
    public static String eventTime(String databaseId) {
        return "dbm:{" + databaseId + "}:ts";
    }

    /** The latest {@code PollerStatus} JSON of one breaker, no TTL. */
    public static String pollerStatus(String breaker) {
        return "dbm:poller-status:" + breaker;
    }

    /**
     * Permits leased in one window of one rate limit, an integer counter. The hash tag is the scope and subject
     * ({@code {user:alice}}), so a subject's two windows share a Redis Cluster slot (one script call reads both) and
     * different subjects spread over the slots; in a cluster the API leases each scope of a request in its own call.
     *
     * @param scope {@code user}, {@code database} or {@code global}
     * @param subject the user id ({@code sub}), the database id, or {@code all}
     * @param window the subject's window index: (epoch milliseconds + the subject's phase) divided by the window
     *     length, the phase a fixed offset below the window length from a hash of scope and subject (query-api
     *     RateLimiter), so the windows of different subjects do not all end at the same instant
     */
    public static String rateLimit(String scope, String subject, long window) {
        return RATE_LIMIT_PREFIX + '{' + scope + ':' + subject + "}:" + window;
    }
}
