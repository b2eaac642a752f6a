package com.dbmetrics.api.source;

/** Where an answer came from; sent as {@code X-Cache}. */
public enum Layer {
    /** This instance's in-memory cache. */
    L1,
    /** Redis, fresh key. */
    L2,
    /** Interactive query to the streams-app state store. */
    IQ,
    /** Redis, the 5-minute stale copy: every other source failed. */
    STALE
}
