package com.dbmetrics.api;

import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.http.ApiServer;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.ratelimit.Scope;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/** A running query API: clients, caches, service and HTTP servers, and how to stop them. */
public final class QueryApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueryApi.class);

    private final ApiServer server;
    private final JedisPooled redis;
    private final SnapshotLookup lookup;

    private QueryApi(ApiServer server, JedisPooled redis, SnapshotLookup lookup) {
        this.server = server;
        this.redis = redis;
        this.lookup = lookup;
    }

    public static QueryApi start(ApiConfig config, Clock clock, Ticker ticker) throws Exception {
        ObjectMapper mapper = Json.newMapper();
        JedisPooled redis = new JedisPooled(new HostAndPort(config.redisUrl().getHost(), config.redisUrl().getPort()),
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(500).socketTimeoutMillis(1000).build());
        RedisSnapshots redisSnapshots = new RedisSnapshots(redis, JsonSerde.snapshots(mapper),
                JsonSerde.pollerStatus(mapper));
        IqClient iq = new IqClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(),
                config.streamsIqUrls(), JsonSerde.snapshots(mapper), mapper, Duration.ofSeconds(3));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SnapshotLookup lookup = new SnapshotLookup(redisSnapshots, iq, config.memoryTtl(), config.memoryMaxEntries(),
                ticker, registry);
        JwtAuthenticator authenticator = config.jwtSecret().isPresent()
                ? JwtAuthenticator.hmac(config.jwtSecret().get(), config.jwtIssuer().orElse(null),
                        config.jwtAudience().orElse(null), clock, ticker)
                : JwtAuthenticator.jwks(Path.of(config.jwksFile().get()), config.jwtIssuer().orElse(null),
                        config.jwtAudience().orElse(null), clock, ticker);
        RateLimits limits = new RateLimits(new RateLimiter(redis, clock, config.rateLimitWindow(),
                config.rateLimitFailOpen(), ticker), config.rateLimitPerUser(), config.rateLimitPerDatabase(),
                config.rateLimitGlobal());
        SnapshotRenderer renderer = new SnapshotRenderer(redisSnapshots, mapper, clock, config.staleGrace());
        MetricsService service = new MetricsService(lookup, renderer, limits, mapper);
        ProjectService projects = new ProjectService(iq, renderer, limits, mapper, config.memoryTtl(), ticker);
        CacheStats stats = new CacheStats(lookup, service, limits, mapper);
        FunctionCounter.builder("dbm_api_l1_hits", lookup.l1Hits, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_l2_hits", lookup.l2Hits, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_l1_refreshes", lookup.refreshes, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_source_hits", lookup.sourceHits, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_stale_hits", lookup.staleHits, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_redis_errors", lookup.redisErrors, a -> a.sum()).register(registry);
        FunctionCounter.builder("dbm_api_iq_failures", lookup.iqFailures, a -> a.sum()).register(registry);
        Gauge.builder("dbm_api_memory_cache_size", lookup, SnapshotLookup::size).register(registry);
        for (Scope scope : Scope.values()) {
            FunctionCounter.builder("dbm_api_rate_limited", limits, l -> l.refused(scope))
                    .tag("scope", scope.wireName()).register(registry);
        }
        FunctionCounter.builder("dbm_api_rate_limit_fail_open", limits.limiter().failOpenDecisions, a -> a.sum())
                .register(registry);
        FunctionCounter.builder("dbm_api_rate_limit_fail_closed", limits.limiter().failClosedDecisions, a -> a.sum())
                .register(registry);
        ApiServer server = new ApiServer(config.port(), config.managementPort(), new ApiServer.Services(authenticator,
                service, projects, stats, () -> pingQuietly(redisSnapshots) || iq.reachable()), config.corsOrigins(),
                registry);
        log.info("Query API listening on port {} (management {}), Redis {}, streams-app {}", server.port(),
                server.managementPort(), config.redisUrl(), config.streamsIqUrls());
        return new QueryApi(server, redis, lookup);
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

    @Override
    public void close() {
        server.close();
        lookup.close();
        redis.close();
    }
}
