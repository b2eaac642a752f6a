package com.dbmetrics.api.prom;

import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.service.HeldBody;

/**
 * A Prometheus API answer: the status, the JSON envelope ({@code {"status":"success","data":...}} or
 * {@code {"status":"error","errorType":...,"error":...}}) and the caller's rate decision, for the
 * {@code RateLimit-*} and {@code Retry-After} headers; {@code held}, when not null, is the body held for many readers.
 */
public record PromAnswer(int status, byte[] body, Decision rate, HeldBody held) {

    public PromAnswer(int status, byte[] body, Decision rate) {
        this(status, body, rate, null);
    }

    static PromAnswer ok(byte[] body, Decision rate) {
        return new PromAnswer(200, body, rate);
    }

    /** A success whose body is held for many readers ({@link AnswerMemo}), gzipped once for all that accept it. */
    static PromAnswer ok(HeldBody held, Decision rate) {
        return new PromAnswer(200, held.plain(), rate, held);
    }

    static PromAnswer error(PromError e, int status) {
        return new PromAnswer(status, PromJson.error(e.type(), e.getMessage()), null);
    }

    static PromAnswer limited(Decision decision) {
        PromError error = decision.scope() == null ? new PromError.Unavailable() : new PromError.Limited(decision);
        return new PromAnswer(error.status(), PromJson.error(error.type(), error.getMessage()), decision);
    }

    /** A request refused before any endpoint ran (credentials, a malformed target); the message is client-safe. */
    public static PromAnswer refusal(int status, String errorType, String message) {
        return new PromAnswer(status, PromJson.error(errorType, message), null);
    }

    PromAnswer withRate(Decision rate) {
        return new PromAnswer(status, body, rate, held);
    }

    /** Seconds a client should wait before retrying, for 429 and 503; 0 otherwise. */
    public long retryAfterSeconds() {
        if (status == 503) {
            return 1;
        }
        return status == 429 && rate != null ? Math.max(1, rate.retryAfterSeconds()) : 0;
    }
}
