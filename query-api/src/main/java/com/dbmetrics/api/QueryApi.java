package com.dbmetrics.api;

import com.dbmetrics.api.auth.AuthFailureLimit;
import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.http.ApiServer;
import com.dbmetrics.api.load.LoadShedder;
import com.dbmetrics.api.load.Warmup;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.live.StreamHub;
import com.dbmetrics.api.prom.PromApi;
import com.dbmetrics.api.service.CacheStats;
import com.dbmetrics.api.service.HistoryService;
import com.dbmetrics.api.service.StreamService;
import com.dbmetrics.api.service.MetricsService;
import com.dbmetrics.api.service.ProjectService;
import com.dbmetrics.api.service.SnapshotRenderer;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.api.source.RedisBreaker;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.api.source.SnapshotFeed;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.UnifiedJedis;

/**
 * The query API process: {@link #create} wires clients, caches, services, meters and the HTTP servers (nothing
 * listens yet), {@link #start()} binds the ports, {@link #close()} stops everything it started. All time comes from
 * one {@link Clock}; Caffeine's tickers are derived from it, so a test that moves the clock moves every TTL.
 */
public final class QueryApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueryApi.class);
    /**
     * Bound of a new Redis connection (TCP and TLS handshake), in answer budgets, and at least
     * {@link #REDIS_MIN_CONNECT_MILLIS}: a handshake on a busy machine takes longer than a GET, but a Redis that
     * accepts connections and never answers (stopped) holds the handshake until this bound, and a connection broken by
     * a timeout is replaced by a new one (1 s here made the first reads after SIGSTOP take 1 s each).
     */
    static final int REDIS_CONNECT_BUDGETS = 4;
    static final int REDIS_MIN_CONNECT_MILLIS = 200;
    /** Connections to Redis at most. */
    static final int REDIS_POOL_SIZE = 16;

    private final ApiConfig config;
    private final UnifiedJedis redis;
    private final SnapshotLookup lookup;
    private final ApiServer server;
    /** The live feed, when {@code API_LIVE_FEED} is on; null otherwise. */
    private final SnapshotFeed feed;
    private final StreamHub hub;
    private final JwtAuthenticator authenticator;
    /** Sends the instance's own first requests; {@code /readyz} answers 503 until it is done. */
    private final Warmup warmup;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Bound of the live feed's connection handshake. */
    static final int FEED_CONNECT_MILLIS = 2_000;
    /** Heartbeats of the live streams and the live feed's ping: one daemon thread. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "live-timers");
        t.setDaemon(true);
        return t;
    });

    /**
     * Probes an unanswering Redis while the breaker is open, also when no request comes (else the breaker, and its
     * gauge, stayed open until the next read); a daemon thread, idle while the breaker is closed.
     */
    private final ScheduledExecutorService redisProbe = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "redis-probe");
        t.setDaemon(true);
        return t;
    });

    private QueryApi(ApiConfig config, UnifiedJedis redis, SnapshotLookup lookup, ApiServer server,
            SnapshotFeed feed, StreamHub hub, JwtAuthenticator authenticator, Warmup warmup) {
        this.authenticator = authenticator;
        this.warmup = warmup;
        this.hub = hub;
        this.config = config;
        this.redis = redis;
        this.lookup = lookup;
        this.server = server;
        this.feed = feed;
    }

    /** Builds the API for {@code config} on {@code clock}; nothing runs until {@link #start()}. */
    public static QueryApi create(ApiConfig config, Clock clock) throws IOException, ParseException {
        Ticker ticker = ticker(clock);
        ObjectMapper mapper = Json.newMapper();
        ApiConfig.RedisGuard guard = config.redisGuard();
        UnifiedJedis jedis = config.redis().open(
                config.redis().clientConfig(
                        (int) Math.max(REDIS_MIN_CONNECT_MILLIS, REDIS_CONNECT_BUDGETS * guard.timeout().toMillis()),
                        (int) guard.timeout().toMillis(),
                        "dbm-query-api"), redisPool(guard.timeout()));
        GuardedRedis redis = new GuardedRedis(jedis,
                new RedisBreaker(GuardedRedis.FAILURES_TO_OPEN, guard.retry(), System::nanoTime), guard.timeout());
        RedisSnapshots redisSnapshots = new RedisSnapshots(redis, JsonSerde.snapshots(mapper),
                JsonSerde.pollerStatus(mapper));
        IqClient iq = new IqClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(),
                config.streamsIqUrls(), config.iqToken(), JsonSerde.snapshots(mapper), mapper, Duration.ofSeconds(3));
        SnapshotLookup lookup = new SnapshotLookup(redisSnapshots, iq, config.memoryTtl(), config.memoryMaxEntries(),
                ticker);
        JwtAuthenticator authenticator = (config.jwtSecret().isPresent()
                ? JwtAuthenticator.hmac(config.jwtSecret().get(), config.jwtIssuer().orElse(null),
                        config.jwtAudience().orElse(null), clock, ticker)
                : JwtAuthenticator.jwks(Path.of(config.jwksFile().get()), config.jwtIssuer().orElse(null),
                        config.jwtAudience().orElse(null), clock, ticker))
                .limited(config.maxTokenLifetime(), new AuthFailureLimit(clock, ticker, config.authFailedPerClient(),
                        config.authFailedGlobal()));
        RateLimiter limiter = new RateLimiter(redis, clock, config.rateLimitWindow(), config.rateLimitFailOpen(),
                config.rateLimitAdmitAhead(), ticker);
        RateLimits limits = new RateLimits(limiter, config.rateLimitPerUser(), config.rateLimitPerDatabase(),
                config.rateLimitGlobal());
        SnapshotRenderer renderer = new SnapshotRenderer(redisSnapshots, mapper, clock, config.staleGrace());
        MetricsService service = new MetricsService(lookup, renderer, limits, mapper);
        ProjectService projects = new ProjectService(iq, renderer, limits, mapper, config.memoryTtl(), ticker);
        HistoryService history = new HistoryService(iq, renderer, limits, clock, config.memoryTtl(), ticker);
        StreamHub hub = new StreamHub(renderer, config.live());
        StreamService streams = new StreamService(service, projects, history, limits, hub);
        SnapshotFeed feed = null;
        if (config.live().feed()) {
            feed = new SnapshotFeed(() -> config.redis().connectForSubscribe(jedis, config.redis().clientConfig(
                    FEED_CONNECT_MILLIS, FEED_CONNECT_MILLIS, "dbm-query-api-feed")), JsonSerde.snapshots(mapper),
                    mapper).listen(lookup).listen(history).listen(hub);
        }
        ApiConfig.Load bounds = config.load();
        LoadShedder load = new LoadShedder(bounds.minConcurrent(), bounds.maxConcurrent(), bounds.maxQueued(),
                bounds.queueWait(), bounds.overloadQueueWait(), bounds.slotHoldTarget(), System::nanoTime);
        Warmup warmup = new Warmup(bounds.warmupRequests(), bounds.warmupMaxTime());
        if (feed != null) {
            feed.listen(warmup);
        }
        PromApi prometheus = new PromApi(projects, history, renderer, limits, clock,
                Objects.requireNonNullElse(QueryApi.class.getPackage().getImplementationVersion(), "dev"));
        CacheStats stats = new CacheStats(lookup, service, projects, prometheus, limits, load, mapper);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        lookup.bindTo(registry);
        projects.bindTo(registry);
        authenticator.bindTo(registry);
        limits.bindTo(registry);
        prometheus.bindTo(registry);
        limiter.bindTo(registry);
        redis.breaker().bindTo(registry);
        load.bindTo(registry);
        warmup.bindTo(registry);
        hub.bindTo(registry);
        if (feed != null) {
            feed.bindTo(registry);
        }
        ApiServer server = new ApiServer(config.bindHost(), config.port(), config.managementPort(),
                new ApiServer.Services(authenticator, service, projects, history, streams, hub, prometheus, stats,
                        () -> !warmup.done() ? "Not ready: warming up"
                                : pingQuietly(redisSnapshots) || iq.reachable() ? null
                                : "Not ready: neither Redis nor the streams-app can serve", load),
                config.corsOrigins(), registry);
        QueryApi api = new QueryApi(config, jedis, lookup, server, feed, hub, authenticator, warmup);
        long heartbeatMs = hub.heartbeatEvery().toMillis();
        api.timers.scheduleWithFixedDelay(hub::heartbeat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
        if (feed != null) {
            SnapshotFeed f = feed;
            api.timers.scheduleWithFixedDelay(f::check, SnapshotFeed.PING_MILLIS, SnapshotFeed.PING_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        long retryMs = config.redisGuard().retry().toMillis();
        api.redisProbe.scheduleWithFixedDelay(() -> {
            if (redis.breaker().isOpen()) {
                pingQuietly(redisSnapshots); // through the breaker: the probe once the retry has passed
            }
        }, retryMs, retryMs, TimeUnit.MILLISECONDS);
        return api;
    }

    /** Builds and starts: what {@code main} runs. */
    public static QueryApi start(ApiConfig config, Clock clock) throws IOException, ParseException {
        return create(config, clock).start();
    }

    /**
     * The Redis connection pool: L2 reads and the rate limiter's lease round trips (one at a time, see
     * {@code LeaseBatches}) share it. A caller waits for a connection at most as long as for an answer, never without
     * bound (the pool's default), so a stalled Redis shows as failures the limiter and the read path handle.
     */
    static ConnectionPoolConfig redisPool(Duration maxWait) {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(REDIS_POOL_SIZE);
        pool.setMaxIdle(REDIS_POOL_SIZE);
        pool.setMaxWait(maxWait);
        return pool;
    }

    /** Where the instance reaches its own API port: the address it binds, loopback when that is every address. */
    static InetSocketAddress ownAddress(String bindHost, int port) {
        InetSocketAddress bound = new InetSocketAddress(bindHost, port);
        return bound.getAddress() != null && bound.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), port) : bound;
    }

    /** Caffeine's time, read from the process' clock (millisecond steps are plenty for TTLs of a second or more). */
    static Ticker ticker(Clock clock) {
        return () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    }

    /** Binds the API and management ports. */
    public QueryApi start() {
        server.start();
        if (feed != null) {
            feed.start();
        }
        warmup.start(ownAddress(config.bindHost(), server.port()), authenticator);
        log.info("Query API listening on {} port {} (management {}), Redis {}, streams-app {} (token from {})",
                config.bindHost(), server.port(), server.managementPort(), config.redis().describe(),
                config.streamsIqUrls(), config.iqToken().source());
        return this;
    }

    private static boolean pingQuietly(RedisSnapshots redis) {
        try {
            return redis.ping();
        } catch (RuntimeException e) {
            return false;
        }
    }

    public int port() {
        return server.port();
    }

    public int managementPort() {
        return server.managementPort();
    }

    /**
     * SIGTERM: readiness turns false, after {@code API_SHUTDOWN_DELAY} the API port closes and the requests in flight
     * finish, then everything else stops ({@link #close()}).
     */
    public void drain() {
        log.info("Draining: /readyz answers 503, the API port closes in {}", config.shutdownDelay());
        server.turnUnready(config.shutdownDelay());
        close();
    }

    /** Stops the servers (the requests in flight finish), then the L1 refresh thread, then the Redis pool; once. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        warmup.stop();
        server.close();
        hub.close();
        timers.shutdownNow();
        if (feed != null) {
            feed.close();
        }
        redisProbe.shutdownNow();
        lookup.close();
        redis.close();
    }
}
