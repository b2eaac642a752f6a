package com.dbmetrics.api.ratelimit;

import com.dbmetrics.api.load.IoWaits;
import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.redis.LuaScript;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisCluster;

/**
 * Limits shared by every API instance through Redis, without a Redis round trip per request: an instance leases a
 * small batch of permits per limit (one Lua script decides every scope of a request at once and counts the permits
 * when it leases them) and spends them locally. Instances together therefore never admit more than the limit (with
 * one exception, chosen: a subject's first request in a window at an instance may go ahead of its lease, see
 * {@link #decide}: then at most one request per instance and window over a limit of 100 or more); the
 * price is that permits leased by one instance and not yet spent may make another refuse early, by at most
 * (instances − 1) × (lease − 1) requests per window, plus instances × (lease − 1) after the subject's window changes
 * (permits leased in the old window and left unspent still count, weighted). One lease is in flight per subject and
 * instance at a time: requests that find one wait for its permits, and the request that leased spends the first. The
 * lease is {@code limit / 50}, between 1 and 1000: exact
 * (lease 1) for limits up to 99, one round trip per 1000 requests for very high limits.
 *
 * <p>What a request costs does not depend on how many users there are: the lease calls of all requests that need one
 * go to Redis together ({@link LeaseBatches}: one round trip per batch, whatever the number of users in it), a refused
 * subject is refused from memory until its retry time, and the state per subject is one small object per scope, kept
 * for the one window it is for (memory grows with the subjects seen in the last window, bounded by
 * {@link #MAX_SUBJECTS_PER_SCOPE}). Redis unreachable: fail open (default; a per-instance {@link LocalRateLimiter}
 * stands in, so N instances may admit N × limit) or closed, each decision counted
 * ({@code dbm_api_rate_limit_fail_open}, {@code dbm_api_rate_limit_fail_closed}).
 */
public final class RateLimiter implements MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    private static final int MAX_LEASE = 1000;
    /**
     * Subjects with lease state kept per scope at most. State lives one window after it was leased (a lease is for one
     * window), so this instance holds at most the subjects it leased for within the last window, i.e. no more than its
     * lease round trips per window; the bound only matters beyond that. An evicted lease forgets unspent permits
     * (counted in Redis: the subject may be refused early by them, never admitted beyond its limit).
     */
    static final int MAX_SUBJECTS_PER_SCOPE = 200_000;
    /**
     * How long a request waits for its lease at most, in Redis budgets, before the limiter counts Redis as unreachable:
     * the round trip under way when it queued (a pool wait and an answer, each within the budget), then its own.
     */
    static final int LEASE_TIMEOUT_BUDGETS = 4;
    /** Lease rounds one decision may go through (each after other requests spent the permits it waited for). */
    private static final int MAX_ATTEMPTS = 16;

    private final Clock clock;
    private final long windowMs;
    private final long leaseTimeoutNanos;
    private final boolean failOpen;
    /** Whether a subject's first request here in a window is admitted while its lease is asked ({@link #decide}). */
    private final boolean admitAhead;
    /** Redis Cluster: each scope's keys have their own slot, so each scope is leased in its own script call. */
    private final boolean scopeAtATime;
    private final LocalRateLimiter local;
    private final LeaseBatches batches;
    private final Map<Scope, Cache<String, Lease>> leases = new EnumMap<>(Scope.class);
    private final LongAdder failOpenDecisions = new LongAdder();
    private final LongAdder failClosedDecisions = new LongAdder();
    private final LongAdder localRefusals = new LongAdder();
    private final LongAdder admittedAhead = new LongAdder();
    private final LongAdder overLimit = new LongAdder();
    /** How long requests waited for their lease (queued behind a round trip, then the round trip). */
    private final Timer leaseWait;
    /** Where {@link #leaseWait} is kept until {@link #bindTo} adds the process' registry to it. */
    private final CompositeMeterRegistry meters = new CompositeMeterRegistry();

    /**
     * What this instance holds of one subject's current window: permits leased and not yet spent, what Redis had left
     * when it last leased, and, once Redis refused, until when it refuses (a refusal holds until its retry time:
     * permits only free up as the window slides, so asking Redis again before then cannot change the answer).
     */
    private static final class Lease {
        final long window;
        long permits;
        long leftInRedis;
        long refusedUntilMs;
        /** Set while a thread of this instance leases for this subject and window; counted down when it is done. */
        CountDownLatch leasing;
        /** Whether this instance asked Redis for a lease of this subject and window (only the first may go ahead). */
        boolean asked;

        Lease(long window) {
            this.window = window;
        }
    }

    /** A limiter whose every lease is waited for (no request admitted ahead of its lease). */
    public RateLimiter(GuardedRedis redis, Clock clock, Duration window, boolean failOpen, Ticker ticker) {
        this(redis, clock, window, failOpen, false, ticker);
    }

    /**
     * A limiter that, with {@code admitAhead} and {@code failOpen}, admits a subject's first request in a window at
     * this instance while it asks Redis for the lease (see {@link #decide}).
     */
    public RateLimiter(GuardedRedis redis, Clock clock, Duration window, boolean failOpen, boolean admitAhead,
            Ticker ticker) {
        this.clock = clock;
        this.admitAhead = admitAhead && failOpen;
        this.windowMs = window.toMillis();
        this.leaseTimeoutNanos = redis.budget().toNanos() * LEASE_TIMEOUT_BUDGETS;
        this.failOpen = failOpen;
        this.scopeAtATime = redis.client() instanceof JedisCluster;
        this.local = new LocalRateLimiter(clock, window, ticker);
        this.batches = new LeaseBatches(redis, LuaScript.fromClasspath("/redis/rate-limit.lua"));
        this.leaseWait = Timer.builder("dbm_api_rate_limit_lease_wait")
                .description("How long a request waited for its rate-limit lease from Redis")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(1))
                .register(meters);
        for (Scope scope : Scope.values()) {
            leases.put(scope, Caffeine.newBuilder().maximumSize(MAX_SUBJECTS_PER_SCOPE).ticker(ticker)
                    .expireAfterWrite(window).build());
        }
    }

    static long leaseSize(long limit) {
        return Math.max(1, Math.min(MAX_LEASE, limit / 50));
    }

    /**
     * Decides all {@code limits} at once; an empty list is always allowed.
     *
     * <p>Admitted ahead: when every scope this request lacks permits for has not been leased by this instance in its
     * current window yet, and every such limit is 100 or more (leases of 2 and more), the request is admitted at once
     * and the lease asked for it is sent without waiting ({@link LeaseBatches#submit}); its first permit is this
     * request's, as for any lease. Other requests of the subject wait for that lease as usual. So a subject's first
     * request at an instance in a window, which at a million users is nearly every request, costs no Redis round trip
     * on its way; the price is at most one request per instance and window over the limit, when Redis refuses that
     * lease (counted: {@code dbm_api_rate_limit_over_limit}). Limits below 100 lease one permit at a time and stay
     * exact. Off when failing closed: a limiter that must refuse without Redis cannot admit before asking it.
     */
    public Decision decide(List<Limit> limits) {
        if (limits.isEmpty()) {
            return Decision.unlimited();
        }
        int n = limits.size();
        long deadline = System.nanoTime() + leaseTimeoutNanos;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            long now = clock.millis();
            long[] index = new long[n];
            Lease[] held = new Lease[n];
            List<Integer> lacking = null; // allocated only when a lease must be taken (once per lease size)
            CountDownLatch leasedByOther = null;
            CountDownLatch leasing = null;
            LeaseBatches.Call ahead = null;
            Decision aheadDecision = null;
            for (int i = 0; i < n; i++) {
                index[i] = windowIndex(limits.get(i), now);
                held[i] = leaseOf(limits.get(i), index[i]); // outside the lock (see leaseOf)
            }
            synchronized (this) {
                for (int i = 0; i < n; i++) {
                    Limit limit = limits.get(i);
                    Lease lease = held[i];
                    if (lease.refusedUntilMs > now) {
                        localRefusals.increment();
                        return new Decision(false, limit.scope(), limit.perWindow(), 0,
                                LocalRateLimiter.ceilSeconds(lease.refusedUntilMs - now), resetSeconds(limit, now));
                    }
                    if (lease.permits == 0) {
                        if (lease.leasing != null) {
                            leasedByOther = lease.leasing;
                        } else {
                            if (lacking == null) {
                                lacking = new ArrayList<>(n);
                            }
                            lacking.add(i);
                        }
                    }
                }
                if (lacking == null && leasedByOther == null) {
                    return spend(limits, held, resetSeconds(limits.get(0), now));
                }
                if (leasedByOther == null && mayGoAhead(limits, lacking, held)) {
                    ahead = admitAhead(limits, lacking, index, now, held);
                    aheadDecision = aheadDecision(limits, lacking, held, now);
                } else if (leasedByOther == null) {
                    // one lease in flight per subject and instance: the requests that find it wait for its permits
                    // instead of leasing more, so unspent permits per instance stay below one lease
                    leasing = new CountDownLatch(1);
                    for (int i : lacking) {
                        held[i].leasing = leasing;
                        held[i].asked = true;
                    }
                }
            }
            if (ahead != null) {
                batches.submit(ahead); // outside the lock: it may start the thread that sends it
                return aheadDecision;
            }
            if (leasedByOther != null) {
                if (!await(leasedByOther, deadline)) {
                    return unreachable(limits, new TimeoutException("no rate-limit lease in time"));
                }
                continue;
            }
            Decision decided;
            try {
                decided = lease(limits, lacking, index, now, held);
            } catch (TimeoutException | RuntimeException e) {
                return unreachable(limits, e);
            } finally {
                release(lacking, held, leasing);
            }
            if (decided != null) {
                return decided;
            }
        }
        // other threads spent every permit leased for this request again and again: refuse this once, honestly
        Limit first = limits.get(0);
        return new Decision(false, first.scope(), first.perWindow(), 0, 1, 1);
    }

    /** Under the lock: whether this request may be admitted ahead of the lease of its {@code lacking} scopes. */
    private boolean mayGoAhead(List<Limit> limits, List<Integer> lacking, Lease[] held) {
        if (!admitAhead || (scopeAtATime && lacking.size() > 1)) {
            return false;
        }
        for (int i : lacking) {
            if (held[i].asked || leaseSize(limits.get(i).perWindow()) < 2) {
                return false;
            }
        }
        return true;
    }

    /**
     * Under the lock: admits this request, spending a permit of each scope that has one, and makes the lease call of
     * the {@code lacking} scopes, to be sent without waiting for it; its answer adds the permits after the first (this
     * request's).
     */
    private LeaseBatches.Call admitAhead(List<Limit> limits, List<Integer> lacking, long[] index, long now,
            Lease[] held) {
        CountDownLatch leasing = new CountDownLatch(1);
        for (int i = 0; i < held.length; i++) {
            if (lacking.contains(i)) {
                held[i].asked = true;
                held[i].leasing = leasing;
            } else {
                held[i].permits--;
            }
        }
        admittedAhead.increment();
        return LeaseBatches.Call.ahead(keys(limits, lacking, index), args(limits, lacking, now), call -> {
            try {
                leasedAhead(limits, lacking, now, held, call);
            } finally {
                release(lacking, held, leasing);
            }
        });
    }

    /** Under the lock: the decision for a request admitted ahead. */
    private Decision aheadDecision(List<Limit> limits, List<Integer> lacking, Lease[] held, long now) {
        Limit first = limits.get(0);
        // what Redis has left is not known yet: as if the subject had spent nothing else in this window
        long remaining = lacking.contains(0) ? first.perWindow() - 1 : held[0].permits + held[0].leftInRedis;
        return new Decision(true, first.scope(), first.perWindow(), remaining, 0, resetSeconds(first, now));
    }

    /** The answer to a lease sent ahead: its permits after the first, or a refusal, or Redis unreachable. */
    private void leasedAhead(List<Limit> limits, List<Integer> lacking, long now, Lease[] held,
            LeaseBatches.Call call) {
        List<?> result;
        try {
            result = call.result();
        } catch (RuntimeException e) {
            // the local limiter stands in, as for any decision without Redis: it counts the request admitted ahead
            unreachable(limits, e);
            return;
        }
        if (record(result, lacking, held, now, 1) >= 0) {
            // the request admitted ahead was over the limit: the one request per instance and window this costs
            overLimit.increment();
        }
    }

    /**
     * Records a lease script's answer for the scopes {@code which}: their permits, less the {@code spent} ones the
     * requests that asked for it have already taken, or the refusing scope's retry time. Returns the index (in
     * {@code held}) of the scope Redis refused, or -1 when it granted. A lease the cache dropped meanwhile is recorded
     * all the same: its other permits are forgotten (spent in Redis: early refusals at worst, never more admissions).
     */
    private synchronized int record(List<?> result, List<Integer> which, Lease[] held, long now, long spent) {
        if (((Long) result.get(0)) != 1L) {
            int refused = which.get(((Long) result.get(1)).intValue() - 1);
            held[refused].refusedUntilMs = now + (Long) result.get(2);
            return refused;
        }
        for (int j = 0; j < which.size(); j++) {
            Lease lease = held[which.get(j)];
            lease.permits += (Long) result.get(2 + 2 * j) - spent;
            lease.leftInRedis = (Long) result.get(3 + 2 * j);
        }
        return -1;
    }

    /** Ends the lease {@code leasing} of the scopes {@code lacking}: the requests waiting for its permits go on. */
    private void release(List<Integer> lacking, Lease[] held, CountDownLatch leasing) {
        synchronized (this) {
            for (int i : lacking) {
                if (held[i].leasing == leasing) {
                    held[i].leasing = null;
                }
            }
        }
        leasing.countDown();
    }

    private static boolean await(CountDownLatch latch, long deadlineNanos) {
        long waiting = IoWaits.start();
        try {
            return latch.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            IoWaits.stop(waiting);
        }
    }

    /** Spends one permit of each held lease (under the lock); the decision reports the first limit. */
    private Decision spend(List<Limit> limits, Lease[] held, long reset) {
        for (Lease lease : held) {
            lease.permits--;
        }
        Limit first = limits.get(0);
        return new Decision(true, first.scope(), first.perWindow(), held[0].permits + held[0].leftInRedis, 0, reset);
    }

    /**
     * Leases permits for the lacking scopes (one script call, sent with others'). Returns the refusal; or, leased, the
     * admission of this request, which spends the first of the permits it leased (so every lease admits the request
     * that asked for it, however many others wait for its permits); or null when another scope's permits were spent
     * meanwhile (then the caller goes round again).
     */
    private Decision lease(List<Limit> limits, List<Integer> lacking, long[] index, long now, Lease[] held)
            throws TimeoutException {
        // one call for all lacking scopes; in a Redis Cluster one per scope in order, since each subject's keys have
        // their own slot: permits of a scope granted before another refused stay here, for the subject's next request
        List<List<Integer>> calls = scopeAtATime ? lacking.stream().map(List::of).toList() : List.of(lacking);
        for (List<Integer> call : calls) {
            List<?> result = call(limits, call, index, now);
            int i = record(result, call, held, now, 0);
            if (i >= 0) {
                Limit refused = limits.get(i);
                long retryMs = (Long) result.get(2);
                return new Decision(false, refused.scope(), refused.perWindow(), 0,
                        LocalRateLimiter.ceilSeconds(retryMs), resetSeconds(refused, now));
            }
        }
        synchronized (this) {
            for (Lease lease : held) {
                if (lease.permits == 0) {
                    return null;
                }
            }
            return spend(limits, held, resetSeconds(limits.get(0), now));
        }
    }

    /** One lease script call for the scopes {@code which} of {@code limits}: the script's answer. */
    private List<?> call(List<Limit> limits, List<Integer> which, long[] index, long now) throws TimeoutException {
        List<String> keys = keys(limits, which, index);
        List<String> args = args(limits, which, now);
        long start = System.nanoTime();
        try {
            return batches.call(new LeaseBatches.Call(keys, args), start + leaseTimeoutNanos);
        } finally {
            leaseWait.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** The lease script's keys for the scopes {@code which}: each one's current and previous window counter. */
    private static List<String> keys(List<Limit> limits, List<Integer> which, long[] index) {
        List<String> keys = new ArrayList<>(which.size() * 2);
        for (int i : which) {
            Limit limit = limits.get(i);
            keys.add(RedisKeys.rateLimit(limit.scope().wireName(), limit.subject(), index[i]));
            keys.add(RedisKeys.rateLimit(limit.scope().wireName(), limit.subject(), index[i] - 1));
        }
        return keys;
    }

    /** The lease script's arguments: the window, then per scope of {@code which} its limit, lease and elapsed time. */
    private List<String> args(List<Limit> limits, List<Integer> which, long now) {
        List<String> args = new ArrayList<>(which.size() * 3 + 1);
        args.add(Long.toString(windowMs));
        for (int i : which) {
            Limit limit = limits.get(i);
            args.add(Long.toString(limit.perWindow()));
            args.add(Long.toString(leaseSize(limit.perWindow())));
            args.add(Long.toString(elapsed(limit, now)));
        }
        return args;
    }

    /**
     * The subject's lease state for window {@code index}, replacing that of an earlier window. Not under the limiter's
     * lock: at a million users nearly every request inserts (and evicts) here, and Caffeine's upkeep under the one lock
     * made every request wait for it (JFR, 1,000,000 users at 3,333 reads/s: 247 s blocked on that monitor in 30 s).
     * A lookup when the window's state exists; else one atomic compute, so concurrent requests share one object.
     */
    private Lease leaseOf(Limit limit, long index) {
        Cache<String, Lease> scope = leases.get(limit.scope());
        Lease lease = scope.getIfPresent(limit.subject());
        if (lease != null && lease.window >= index) {
            return lease;
        }
        return scope.asMap().compute(limit.subject(),
                (subject, old) -> old == null || old.window < index ? new Lease(index) : old);
    }

    /**
     * Where a subject's windows start: a fixed offset within the window length from a hash of scope and subject, the
     * same in every instance (String.hashCode is specified). With windows aligned to the clock every user's lease
     * ran out at the same instant and every user's next request waited for Redis at once (open-loop benchmark,
     * 10,000 users: p99 1.2 s in a run that crossed a minute); staggered, the renewals spread over the window.
     */
    long phaseMs(Limit limit) {
        long z = limit.scope().name().hashCode() * 31 + limit.subject().hashCode();
        // SplitMix64's finaliser: String.hashCode of ids like user-1, user-2 are consecutive numbers, which would put
        // 10,000 such users' window ends into 10 seconds of a minute
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return Math.floorMod(z ^ (z >>> 31), windowMs);
    }

    long windowIndex(Limit limit, long now) {
        return Math.floorDiv(now + phaseMs(limit), windowMs);
    }

    private long elapsed(Limit limit, long now) {
        return Math.floorMod(now + phaseMs(limit), windowMs);
    }

    private long resetSeconds(Limit limit, long now) {
        return LocalRateLimiter.ceilSeconds(windowMs - elapsed(limit, now));
    }

    private Decision unreachable(List<Limit> limits, Throwable e) {
        if (!failOpen) {
            failClosedDecisions.increment();
            log.warn("Rate limiter: Redis unreachable, failing closed: {}", e.toString());
            return Decision.unavailable();
        }
        failOpenDecisions.increment();
        log.debug("Rate limiter: Redis unreachable, local limiter stands in: {}", e.toString());
        return local.decide(limits);
    }

    /** Decisions taken by the local limiter while Redis was unreachable, since this instance started. */
    public long failOpenDecisions() {
        return failOpenDecisions.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        meters.add(registry);
        FunctionCounter.builder("dbm_api_rate_limit_fail_open", failOpenDecisions, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_fail_closed", failClosedDecisions, LongAdder::sum)
                .register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_lease_round_trips", batches, LeaseBatches::roundTrips)
                .description("Round trips to Redis for rate-limit leases (each carries the leases of many requests)")
                .register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_lease_calls", batches, LeaseBatches::calls)
                .description("Rate-limit lease script calls sent to Redis").register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_admitted_ahead", admittedAhead, LongAdder::sum)
                .description("Requests admitted while the lease of their subject's window was asked from Redis")
                .register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_over_limit", overLimit, LongAdder::sum)
                .description("Requests admitted ahead of a lease that Redis then refused: admitted over the limit")
                .register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_local_refusals", localRefusals, LongAdder::sum)
                .description("Refusals decided without Redis: the subject was refused and its retry time is ahead")
                .register(registry);
        Gauge.builder("dbm_api_rate_limit_subjects", leases, l -> l.values().stream()
                        .mapToLong(Cache::estimatedSize).sum())
                .description("Subjects (users, databases, global) with lease state in this instance")
                .register(registry);
    }
}
