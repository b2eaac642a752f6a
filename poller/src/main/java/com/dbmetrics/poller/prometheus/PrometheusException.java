package com.dbmetrics.poller.prometheus;

import java.util.Locale;

/** Prometheus did not answer a query usefully: unreachable, an HTTP or PromQL error, or a bad answer. */
public final class PrometheusException extends Exception {

    /** What went wrong, for counting. */
    public enum Kind {
        /** Connection refused or reset, DNS failure. */
        UNREACHABLE,
        /** No answer within the query timeout. */
        TIMEOUT,
        /** 5xx, or an error status without a Prometheus JSON body (a proxy's error page). */
        HTTP_ERROR,
        /** Prometheus refused the query (4xx with its JSON error body): a configuration error of that query. */
        QUERY_ERROR,
        /** A body that is not the JSON Prometheus writes (HTML, truncated, garbage). */
        MALFORMED,
        /** Well-formed JSON of the wrong shape for this query (a matrix or scalar where a vector was expected). */
        WRONG_TYPE,
        /** A body larger than the configured cap; read no further. */
        OVERSIZED,
        /** No slot among the queries allowed in flight became free in time: local congestion, not Prometheus. */
        OVERLOADED,
        /** The circuit breaker is open: the call never left the poller. */
        BREAKER_OPEN;

        /**
         * Whether this says Prometheus is unhealthy (counts toward the breaker) rather than one query being bad:
         * transport errors, timeouts, 5xx and unparsable bodies do; a refused query, a wrong result type or an answer
         * too large for the cap are that query's problem.
         */
        public boolean isOutage() {
            return this == UNREACHABLE || this == TIMEOUT || this == HTTP_ERROR || this == MALFORMED;
        }

        /** Lower-case name for metric tags. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
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
