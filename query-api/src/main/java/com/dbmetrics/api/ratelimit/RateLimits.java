package com.dbmetrics.api.ratelimit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The configured limits: per user and global on every request, per database on the reads that reach the source (the
 * streams-app), which is what that limit protects here: cache hits cost nothing downstream. Refusals are counted per
 * scope ({@code dbm_api_rate_limited{scope}}).
 */
public final class RateLimits implements MeterBinder {

    private final RateLimiter limiter;
    private final long perUser;
    private final long perDatabase;
    private final long global;
    private final Map<Scope, LongAdder> refused = new EnumMap<>(Scope.class);

    public RateLimits(RateLimiter limiter, long perUser, long perDatabase, long global) {
        this.limiter = limiter;
        this.perUser = perUser;
        this.perDatabase = perDatabase;
        this.global = global;
        for (Scope scope : Scope.values()) {
            refused.put(scope, new LongAdder());
        }
    }

    /** Per-user (and global, when on) limits of one API request. */
    public Decision admitRequest(String userId) {
        List<Limit> limits = global > 0
                ? List.of(new Limit(Scope.USER, userId, perUser), new Limit(Scope.GLOBAL, "all", global))
                : List.of(new Limit(Scope.USER, userId, perUser));
        return count(limiter.decide(limits));
    }

    /**
     * The per-database limit of a read about to reach the streams-app, counted per {@code domain/project/database_id}:
     * only readers of that tenant (checked before) spend its budget; a reader who names another tenant's database id
     * under its own domain/project spends a budget of its own, as for any unknown id.
     */
    public Decision admitSourceRead(String domain, String project, String databaseId) {
        return count(limiter.decide(List.of(new Limit(Scope.DATABASE, domain + '/' + project + '/' + databaseId,
                perDatabase))));
    }

    private Decision count(Decision decision) {
        if (!decision.allowed() && decision.scope() != null) {
            refused.get(decision.scope()).increment();
        }
        return decision;
    }

    public long refused(Scope scope) {
        return refused.get(scope).sum();
    }

    public long refusedTotal() {
        return refused.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public RateLimiter limiter() {
        return limiter;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Scope scope : Scope.values()) {
            FunctionCounter.builder("dbm_api_rate_limited", refused.get(scope), LongAdder::sum)
                    .tag("scope", scope.wireName()).register(registry);
        }
    }
}
