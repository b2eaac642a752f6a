package com.dbmetrics.api.ratelimit;

import com.dbmetrics.bench.jmh.QueryApiParts;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The rate-limit decision of every API request (per-user and global limit, as {@code RateLimits.admitRequest} asks
 * it), on one shared limiter, by one thread and by two at once (this machine has 2 cores):
 * <ul>
 *   <li>{@code leased}: {@link RateLimiter} holding leased permits spends one per scope under its lock; every 1000th
 *       decision per scope leases the next batch, here from {@code InProcessRedis} (no network: a real round trip
 *       would add its latency / 1000 per decision, see docs/architecture.md, decision 11);</li>
 *   <li>{@code local}: {@link LocalRateLimiter}, which stands in while Redis is unreachable (fail open): sliding-window
 *       counters in a Caffeine cache under one lock.</li>
 * </ul>
 * The limits are high enough never to refuse, as in every scenario. This class sits in the limiters' package, in the
 * benchmarks module, because {@code LocalRateLimiter} is package-private (as Caffeine's JMH sources sit in the
 * packages they measure): the query API's surface stays as it is.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q -DskipTests -pl benchmarks -am package}):
 * <pre>
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar org.openjdk.jmh.Main 'com.dbmetrics.api.ratelimit.RateLimitBench' \
 *      -f 3 -wi 3 -w 1s -i 4 -r 1s -rf json -rff /tmp/rate-limit.json
 * </pre>
 * {@code benchmarks/scenarios/jmh.sh} ({@code ./dbm bench jmh}) runs it with every other JMH benchmark.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class RateLimitBench {

    private RateLimiter leased;
    private LocalRateLimiter local;
    private List<Limit> request;

    @Setup
    public void setUp() {
        QueryApiParts api = QueryApiParts.wire(Clock.systemUTC(), Ticker.systemTicker());
        leased = api.limits().limiter();
        local = new LocalRateLimiter(Clock.systemUTC(), api.config().rateLimitWindow(), Ticker.systemTicker());
        request = List.of(new Limit(Scope.USER, "bench", QueryApiParts.NEVER_REFUSING_LIMIT),
                new Limit(Scope.GLOBAL, "all", QueryApiParts.NEVER_REFUSING_LIMIT));
        for (int i = 0; i < 2; i++) {
            if (!leased().allowed() || !local().allowed()) {
                throw new IllegalStateException("the benchmark limits should never refuse");
            }
        }
        if (api.redis().leases.sum() != 1) {
            throw new IllegalStateException("the first decision should lease once, then spend locally, but leased "
                    + api.redis().leases.sum() + " times");
        }
    }

    @Benchmark
    public Decision leased() {
        return leased.decide(request);
    }

    @Benchmark
    @Threads(2)
    public Decision leasedContended() {
        return leased.decide(request);
    }

    @Benchmark
    public Decision local() {
        return local.decide(request);
    }

    @Benchmark
    @Threads(2)
    public Decision localContended() {
        return local.decide(request);
    }
}
