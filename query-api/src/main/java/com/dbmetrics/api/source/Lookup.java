package com.dbmetrics.api.source;

import com.dbmetrics.schemas.MetricsSnapshot;

/** The outcome of looking a database up through the layers: expected outcomes are values, not exceptions. */
public sealed interface Lookup {

    /** {@code layer} answered this request; {@code origin} is where the snapshot was first read from. */
    record Found(MetricsSnapshot snapshot, Layer layer, Layer origin) implements Lookup {
        public Found(MetricsSnapshot snapshot, Layer layer) {
            this(snapshot, layer, layer);
        }
    }

    /** The read would have reached the source, and the database's source-read limit refused it. */
    record RateLimited(com.dbmetrics.api.ratelimit.Decision decision) implements Lookup {}

    /** Every source answered and none knows the database. */
    record NotFound() implements Lookup {}

    /** No source could answer. */
    record Unavailable(String reason) implements Lookup {}
}
