package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.InternalToken;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Interactive-query requests by query and by how this instance answered them ({@code dbm_streams_iq_requests}); shared
 * by the HTTP threads. A request forwarded to the owner counts {@code forwarded} here and its own outcome on the owner.
 */
public final class IqCounters implements MeterBinder {

    /** Which internal endpoint was asked. */
    public enum Query {
        SNAPSHOT, HISTORY, PROJECT, POLLER_STATUS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How it was answered. */
    public enum Outcome {
        /** From this instance's active store. */
        LOCAL,
        /** From a standby or restoring copy: the owner was unreachable, or a forwarded key is not owned here. */
        STANDBY,
        /** Proxied from the owner found by {@code queryMetadataForKey}. */
        FORWARDED,
        /** Gathered from every instance (project listings). */
        GATHERED,
        /** 404: no such key in the store that answered. */
        NOT_FOUND,
        /** The typed 503 with {@code Retry-After}: rebalancing, restoring, or another instance not answering. */
        UNAVAILABLE,
        /** 401: the request did not carry the internal API's token ({@link InternalToken}). */
        UNAUTHORIZED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Label of unauthorized requests to a path that is none of the queries. */
    static final String OTHER_QUERY = "other";

    private final Map<Query, Map<Outcome, LongAdder>> counts = new EnumMap<>(Query.class);
    private final LongAdder unauthorizedOther = new LongAdder();

    public IqCounters() {
        for (Query query : Query.values()) {
            Map<Outcome, LongAdder> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome outcome : Outcome.values()) {
                byOutcome.put(outcome, new LongAdder());
            }
            counts.put(query, byOutcome);
        }
    }

    public void count(Query query, Outcome outcome) {
        counts.get(query).get(outcome).increment();
    }

    /** A request refused with 401: counted under its query, or under {@value #OTHER_QUERY} for any other path. */
    void countUnauthorized(String path) {
        if (path.startsWith("/internal/v1/snapshots/") && path.endsWith("/history")) {
            count(Query.HISTORY, Outcome.UNAUTHORIZED);
        } else if (path.startsWith("/internal/v1/snapshots/")) {
            count(Query.SNAPSHOT, Outcome.UNAUTHORIZED);
        } else if (path.startsWith("/internal/v1/projects/")) {
            count(Query.PROJECT, Outcome.UNAUTHORIZED);
        } else if (path.equals("/internal/v1/poller-status")) {
            count(Query.POLLER_STATUS, Outcome.UNAUTHORIZED);
        } else {
            unauthorizedOther.increment();
        }
    }

    /** Unauthorized requests to paths that are none of the queries. */
    long unauthorizedOther() {
        return unauthorizedOther.sum();
    }

    /** Requests of {@code query} answered with {@code outcome} so far. */
    public long sum(Query query, Outcome outcome) {
        return counts.get(query).get(outcome).sum();
    }

    /** One series per query and possible outcome, and the unauthorized requests to other paths. */
    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_iq_requests", unauthorizedOther, LongAdder::sum)
                .description("Interactive-query requests by how this instance answered them")
                .tag("query", OTHER_QUERY).tag("outcome", Outcome.UNAUTHORIZED.label()).register(registry);
        for (Query query : Query.values()) {
            for (Outcome outcome : Outcome.values()) {
                if (possible(query, outcome)) {
                    FunctionCounter.builder("dbm_streams_iq_requests", counts.get(query).get(outcome), LongAdder::sum)
                            .description("Interactive-query requests by how this instance answered them")
                            .tag("query", query.label()).tag("outcome", outcome.label()).register(registry);
                }
            }
        }
    }

    /** Whether {@code outcome} can happen for {@code query}, so that /metrics shows no series that stays 0 forever. */
    static boolean possible(Query query, Outcome outcome) {
        switch (query) {
            case PROJECT:
                return outcome != Outcome.FORWARDED && outcome != Outcome.NOT_FOUND;
            case POLLER_STATUS: // every status this instance holds, possibly none: never a 404
                return outcome != Outcome.GATHERED && outcome != Outcome.NOT_FOUND;
            default:
                return outcome != Outcome.GATHERED;
        }
    }
}
