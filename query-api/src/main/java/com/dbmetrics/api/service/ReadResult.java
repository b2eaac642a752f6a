package com.dbmetrics.api.service;

import com.dbmetrics.api.ratelimit.Decision;

/** The outcome of a read, for the HTTP layer to render. */
public sealed interface ReadResult {

    /** A body to send (or a 304 when {@code notModified}); {@code maxAgeSeconds} is its remaining freshness. */
    record Ok(byte[] body, String layer, long ageSeconds, String etag, long maxAgeSeconds, boolean notModified)
            implements ReadResult {}

    record BadRequest(String message) implements ReadResult {}

    /** Unknown, or outside the caller's tenants: the two are indistinguishable on purpose. */
    record NotFound() implements ReadResult {}

    record Unavailable(int retryAfterSeconds) implements ReadResult {}

    /** A limit refused the request; {@code decision.scope()} is null when the limiter itself could not decide. */
    record RateLimited(Decision decision) implements ReadResult {}

    /** What to answer and the caller's rate-limit standing, sent as {@code RateLimit-*} headers on every answer. */
    record Answer(ReadResult result, Decision rate) {}
}
