package com.dbmetrics.poller.prometheus;

import java.time.Instant;
import java.util.List;

/**
 * Evaluates a PromQL instant query at an evaluation time: what discovery and the poll cycle query through. The poller
 * passes its breaker-guarded client ({@link GuardedPrometheus}), the backfill the plain client, tests a lambda.
 */
@FunctionalInterface
public interface Querier {

    List<Sample> query(String promql, Instant time) throws PrometheusException;
}
