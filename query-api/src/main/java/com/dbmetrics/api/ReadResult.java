package com.dbmetrics.api;

/** The outcome of a metrics read, for the HTTP layer to render. */
public sealed interface ReadResult {

    /** A snapshot to send (or a 304 when {@code notModified}); {@code maxAgeSeconds} is its remaining freshness. */
    record Ok(byte[] body, String layer, long ageSeconds, String etag, long maxAgeSeconds, boolean notModified)
            implements ReadResult {}

    record BadRequest(String message) implements ReadResult {}

    /** Unknown, or outside the caller's tenants: the two are indistinguishable on purpose. */
    record NotFound() implements ReadResult {}

    record Unavailable(int retryAfterSeconds) implements ReadResult {}
}
