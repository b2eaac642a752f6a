package com.dbmetrics.poller.prometheus;

/** Prometheus did not answer a query usefully: unreachable, an HTTP or PromQL error, or a malformed answer. */
public final class PrometheusException extends Exception {

    /** What went wrong, for counting. */
    public enum Kind {
        UNREACHABLE, TIMEOUT, HTTP_ERROR, QUERY_ERROR, MALFORMED, BREAKER_OPEN;

        /** Whether this says Prometheus is unhealthy (counts toward the breaker) rather than one query being bad. */
        public boolean isOutage() {
            return this == UNREACHABLE || this == TIMEOUT || this == HTTP_ERROR;
        }
    }

    private final Kind kind;

    public PrometheusException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
