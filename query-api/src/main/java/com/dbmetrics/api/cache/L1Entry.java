package com.dbmetrics.api.cache;

import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.MetricsSnapshot;

/**
 * What L1 holds for a database: a found snapshot and the moment (on the cache's ticker) it leaves L1. The deadline
 * travels with the value, so a refresh that cannot replace the snapshot keeps the entry's TTL as it was.
 */
record L1Entry(Lookup.Found found, long expiresAtNanos) {

    static L1Entry loaded(Lookup.Found found, long nowNanos, long ttlNanos) {
        return new L1Entry(found, nowNanos + ttlNanos);
    }

    MetricsSnapshot snapshot() {
        return found.snapshot();
    }

    /** The answer of a hit: the snapshot, answered by L1, first read from where it was loaded. */
    Lookup.Found hit() {
        return new Lookup.Found(found.snapshot(), Layer.L1, found.origin());
    }

    /**
     * The same snapshot and deadline in a new instance: put back by a refresh that could not replace it, so Caffeine
     * restarts its refresh clock (no second refresh before the entry expires) without extending the TTL.
     */
    L1Entry kept() {
        return new L1Entry(found, expiresAtNanos);
    }

    long nanosLeft(long nowNanos) {
        return Math.max(0, expiresAtNanos - nowNanos);
    }
}
