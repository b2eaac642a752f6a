package com.dbmetrics.streams.query;

import org.apache.kafka.streams.state.HostInfo;

/** The outcome of looking up a key in this instance's stores: expected outcomes are values, not exceptions. */
public sealed interface StoreResult<T> {

    /** The value, and the store's lag in offsets when it came from a standby or restoring store (0 when current). */
    record Found<T>(T value, long lagOffsets) implements StoreResult<T> {}

    record NotFound<T>() implements StoreResult<T> {}

    /** Another instance owns the key. */
    record OnOtherHost<T>(HostInfo host) implements StoreResult<T> {}

    /** No store can answer now (rebalancing, restoring, shutting down). */
    record Unavailable<T>(String reason) implements StoreResult<T> {}
}
