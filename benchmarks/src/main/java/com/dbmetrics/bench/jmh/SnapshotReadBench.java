package com.dbmetrics.bench.jmh;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.service.ReadResult;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A read answered from L1, piece by piece and whole, on the query API's real objects ({@link QueryApiParts}: the
 * production wiring and defaults, system clock and ticker, Redis in-process):
 * <ul>
 *   <li>{@code l1Hit}: {@code SnapshotLookup.get} returning the snapshot Caffeine holds;</li>
 *   <li>{@code renderBody}: {@code SnapshotRenderer.render} plus Jackson writing the bytes the API sends;</li>
 *   <li>{@code serviceRead}: all of {@code MetricsService.read} for an L1 hit: id checks, {@code ?fields}, the per-user
 *       and global rate limit (leased fast path), the tenant check, the lookup, freshness, the ETag (computed per
 *       request) and the body; everything a request costs except HTTP and the token check (TokenCheckBench);</li>
 *   <li>{@code serviceReadNotModified}: the same with the client's current ETag in {@code If-None-Match}: a 304, no
 *       body rendered.</li>
 * </ul>
 * The snapshot's poll interval is 60 s, so it stays fresh (no {@code "stale"} branch) for the whole of a fork at the
 * settings below; L1 keeps the production TTL of 5 s, so every 5 s one read reloads it from the in-process Redis, one
 * read in millions.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q -DskipTests -pl benchmarks -am package}):
 * <pre>
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar org.openjdk.jmh.Main 'com.dbmetrics.bench.jmh.SnapshotReadBench' \
 *      -f 3 -wi 3 -w 1s -i 4 -r 1s -rf json -rff /tmp/snapshot-read.json
 * </pre>
 * {@code benchmarks/scenarios/jmh.sh} ({@code ./dbm bench jmh}) runs it with every other JMH benchmark.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class SnapshotReadBench {

    private static final String DOMAIN = "acme";
    private static final String PROJECT = "shop";
    private static final String DATABASE = "pg-demo-1";

    private QueryApiParts api;
    private Principal caller;
    private MetricsSnapshot snapshot;
    private Set<Metric> allFields;
    private String etag;

    @Setup
    public void setUp() throws JsonProcessingException {
        Clock clock = Clock.systemUTC();
        api = QueryApiParts.wire(clock, Ticker.systemTicker());
        snapshot = MetricsSnapshot.of(new DatabaseRef(DATABASE, "orders-primary", "postgresql", DOMAIN, PROJECT),
                Instant.ofEpochMilli(clock.millis() - 1_000), 60, Map.of(
                        Metric.CPU_USAGE, 0.137,
                        Metric.MEMORY_USAGE, 268_435_456.0,
                        Metric.OPERATIONS_PER_SEC, 1523.4,
                        Metric.CONNECTIONS, 42.0,
                        Metric.STORAGE_SIZE, 1_234_567_890.0));
        api.redis().put(RedisKeys.fresh(DATABASE), api.mapper().writeValueAsBytes(snapshot));
        caller = new Principal("bench", List.of(DOMAIN + "/" + PROJECT), Set.of());
        allFields = EnumSet.allOf(Metric.class);

        ReadResult.Ok first = ok(serviceRead());
        if (!first.layer().equals(Layer.L2.name())) {
            throw new IllegalStateException("the first read should load L1 from Redis but came from " + first.layer());
        }
        ReadResult.Ok hit = ok(serviceRead());
        if (!hit.layer().equals(Layer.L1.name()) || !(l1Hit() instanceof Lookup.Found found)
                || found.layer() != Layer.L1) {
            throw new IllegalStateException("reads after the first should be L1 hits but came from " + hit.layer());
        }
        etag = hit.etag();
        if (!ok(serviceReadNotModified()).notModified()) {
            throw new IllegalStateException("If-None-Match " + etag + " should give a 304");
        }
    }

    private static ReadResult.Ok ok(ReadResult.Answer answer) {
        if (answer.result() instanceof ReadResult.Ok ok) {
            return ok;
        }
        throw new IllegalStateException("expected a 200 but got " + answer.result());
    }

    @Benchmark
    public Lookup l1Hit() {
        return api.lookup().get(DATABASE, id -> api.limits().admitSourceRead(DOMAIN, PROJECT, id));
    }

    @Benchmark
    public byte[] renderBody() throws JsonProcessingException {
        return api.mapper().writeValueAsBytes(api.renderer().render(snapshot, allFields, Layer.L2));
    }

    @Benchmark
    public ReadResult.Answer serviceRead() {
        return api.service().read(caller, DOMAIN, PROJECT, DATABASE, null, null);
    }

    @Benchmark
    public ReadResult.Answer serviceReadNotModified() {
        return api.service().read(caller, DOMAIN, PROJECT, DATABASE, null, etag);
    }
}
