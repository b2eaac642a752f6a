package com.dbmetrics.streams.query;

import org.apache.kafka.streams.state.HostInfo;

/** The outcome of looking up a key in this instance's stores: expected outcomes are values, not exceptions. */
public sealed interface StoreResult<T> {

    /**
     * The value; {@code standby} when it was read from a copy this instance does not own actively (a standby or
     * restoring store), with that store's lag in offsets ({@code lagOffsets}, 0 when current).
     */
    record Found<T>(T value, long lagOffsets, boolean standby) implements StoreResult<T> {

        /** From the active store, or a gathered listing whose lag says how current it is. */
        public Found(T value, long lagOffsets) {
            this(value, lagOffsets, lagOffsets > 0);
        }
    }

    record NotFound<T>() implements StoreResult<T> {}

    /** Another instance owns the key. */
    record OnOtherHost<T>(HostInfo host) implements StoreResult<T> {}

    /** No store can answer now (rebalancing, restoring, shutting down). */
    record Unavailable<T>(String reason) implements StoreResult<T> {}
}
