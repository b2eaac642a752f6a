package com.dbmetrics.api.source;

import com.dbmetrics.schemas.MetricsSnapshot;

/** The outcome of looking a database up through the layers: expected outcomes are values, not exceptions. */
public sealed interface Lookup {

    record Found(MetricsSnapshot snapshot, Layer layer) implements Lookup {}

    /** Every source answered and none knows the database. */
    record NotFound() implements Lookup {}

    /** No source could answer. */
    record Unavailable(String reason) implements Lookup {}
}
