package com.dbmetrics.api.service;

import com.dbmetrics.api.ratelimit.Decision;

/** The outcome of a read, for the HTTP layer to render. */
public sealed interface ReadResult {

    /**
     * A body to send (or a 304 when {@code notModified}); {@code maxAgeSeconds} is its remaining freshness;
     * {@code held}, when not null, is the same body held for many readers with its gzip encoding made once.
     */
    record Ok(byte[] body, String layer, long ageSeconds, String etag, long maxAgeSeconds, boolean notModified,
            HeldBody held) implements ReadResult {

        public Ok(byte[] body, String layer, long ageSeconds, String etag, long maxAgeSeconds, boolean notModified) {
            this(body, layer, ageSeconds, etag, maxAgeSeconds, notModified, null);
        }

        public Ok(HeldBody held, String layer, long ageSeconds, String etag, long maxAgeSeconds) {
            this(held.plain(), layer, ageSeconds, etag, maxAgeSeconds, false, held);
        }
    }

    record BadRequest(String message) implements ReadResult {}

    /** Unknown, or outside the caller's tenants: the two are indistinguishable on purpose. */
    record NotFound() implements ReadResult {}

    record Unavailable(int retryAfterSeconds) implements ReadResult {}

    /** A limit refused the request; {@code decision.scope()} is null when the limiter itself could not decide. */
    record RateLimited(Decision decision) implements ReadResult {}

    /** What to answer and the caller's rate-limit standing, sent as {@code RateLimit-*} headers on every answer. */
    record Answer(ReadResult result, Decision rate) {}
}
