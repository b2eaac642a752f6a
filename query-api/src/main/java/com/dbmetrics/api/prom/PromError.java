package com.dbmetrics.api.prom;

import com.dbmetrics.api.ratelimit.Decision;

/**
 * Why a Prometheus API request gets no data, as Prometheus' own {@code errorType}s: thrown inside this package while a
 * request is parsed or evaluated, and turned into a {@link PromAnswer} at its boundary ({@link PromApi}). Messages are
 * written for clients: they name the parameter or the expression, nothing internal.
 */
abstract sealed class PromError extends RuntimeException {

    PromError(String message) {
        super(message, null, false, false);
    }

    abstract String type();

    abstract int status();

    /** A parameter or expression this API does not accept: 400 {@code bad_data}. */
    static final class BadData extends PromError {
        BadData(String message) {
            super(message);
        }

        @Override
        String type() {
            return "bad_data";
        }

        @Override
        int status() {
            return 400;
        }
    }

    /** The streams-app cannot answer now: 503 {@code unavailable}. */
    static final class Unavailable extends PromError {
        Unavailable() {
            super("metrics temporarily unavailable, retry shortly");
        }

        @Override
        String type() {
            return "unavailable";
        }

        @Override
        int status() {
            return 503;
        }
    }

    /** A limit refused the request (the caller's, or a database's reads of the streams-app): 429. */
    static final class Limited extends PromError {
        final transient Decision decision;

        Limited(Decision decision) {
            super("rate limit exceeded, retry after " + decision.retryAfterSeconds() + " s");
            this.decision = decision;
        }

        @Override
        String type() {
            return "too_many_requests";
        }

        @Override
        int status() {
            return 429;
        }
    }

    /** An expression that would need more than this API evaluates in one answer: 422 {@code execution}. */
    static final class Execution extends PromError {
        Execution(String message) {
            super(message);
        }

        @Override
        String type() {
            return "execution";
        }

        @Override
        int status() {
            return 422;
        }
    }
}
