package com.dbmetrics.api.service;

import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.load.LoadShedder;
import com.dbmetrics.api.prom.PromApi;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.ratelimit.Scope;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The counters of {@code /api/v1/metrics/cache-stats}, for this instance since it started. */
public final class CacheStats {

    private final SnapshotLookup lookup;
    private final MetricsService metrics;
    private final ProjectService projects;
    private final PromApi prometheus;
    private final RateLimits limits;
    private final LoadShedder load;
    private final ObjectMapper mapper;

    public CacheStats(SnapshotLookup lookup, MetricsService metrics, ProjectService projects, PromApi prometheus,
            RateLimits limits, LoadShedder load, ObjectMapper mapper) {
        this.lookup = lookup;
        this.metrics = metrics;
        this.projects = projects;
        this.prometheus = prometheus;
        this.limits = limits;
        this.load = load;
        this.mapper = mapper;
    }

    public String json() {
        long l1 = lookup.l1Hits();
        long l2 = lookup.l2Hits();
        long stale = lookup.staleHits();
        long source = lookup.sourceHits() + stale;
        long total = metrics.requests();
        ObjectNode body = mapper.createObjectNode();
        body.put("l1_hits", l1);
        body.put("l2_hits", l2);
        body.put("source_hits", source);
        body.put("stale_hits", stale);
        body.put("listing_stale_pages", projects.staleAnswers());
        body.put("rate_limited", limits.refusedTotal());
        body.put("rate_limited_user", limits.refused(Scope.USER));
        body.put("rate_limited_database", limits.refused(Scope.DATABASE));
        body.put("rate_limited_global", limits.refused(Scope.GLOBAL));
        body.put("rate_limit_fail_open", limits.limiter().failOpenDecisions());
        body.put("overload_refused", load.refusedTotal());
        body.put("overload_refused_queue_full", load.refused(LoadShedder.Refusal.QUEUE_FULL));
        body.put("overload_refused_waited_too_long", load.refused(LoadShedder.Refusal.WAITED_TOO_LONG));
        body.put("total_requests", total);
        body.put("prometheus_requests", prometheus.requests());
        body.put("prometheus_answers_rendered", prometheus.renderedAnswers());
        body.put("prometheus_answers_held", prometheus.heldAnswers());
        double served = l1 + l2 + source;
        body.put("cache_hit_rate", served == 0 ? 0.0 : Math.round((l1 + l2) * 10000.0 / served) / 100.0);
        body.put("memory_cache_size", lookup.size());
        return body.toString();
    }
}
