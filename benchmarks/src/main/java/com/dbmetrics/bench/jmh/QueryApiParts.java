package com.dbmetrics.bench.jmh;

import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.cache.SnapshotLookup;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.service.MetricsService;
import com.dbmetrics.api.service.SnapshotRenderer;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.RedisSnapshots;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The query API's read-path objects, built as {@code QueryApi.start} builds them, from the configuration the API gets
 * with only the required variables set (so every default is the production default), with Redis answered by
 * {@link InProcessRedis}. The streams-app address is a closed port: the benchmarks never reach it, and their set-up
 * checks that.
 */
public record QueryApiParts(ApiConfig config, ObjectMapper mapper, InProcessRedis redis, SnapshotLookup lookup,
        RateLimits limits, SnapshotRenderer renderer, MetricsService service) {

    /** The issuer {@code ./dbm token} writes and the API of {@code ./dbm up} requires. */
    public static final String ISSUER = "dbmetrics-dev";
    /**
     * Requests per window for every limit: reached by no benchmark run, so every decision is an admission, as in the
     * scenarios (limits on, never refusing). The API's configuration caps limits at 2^31 − 1 per window, which a fast
     * path of tens of nanoseconds could exhaust within a minute's window; the lease size is 1000 either way.
     */
    public static final long NEVER_REFUSING_LIMIT = 1_000_000_000_000L;

    /** What the API is started with: a secret, a Redis URL and a streams-app URL (unused here), and the issuer. */
    public static ApiConfig defaultConfig() {
        return ApiConfig.fromEnv(Map.of(
                ApiConfig.REDIS_URL, "redis://127.0.0.1:6379",
                ApiConfig.STREAMS_IQ_URLS, "http://127.0.0.1:9",
                ApiConfig.AUTH_JWT_SECRET, "jmh-secret-0123456789abcdef0123456789abcdef",
                ApiConfig.AUTH_JWT_ISSUER, ISSUER,
                ApiConfig.STREAMS_IQ_TOKEN, "jmh-iq-token-0123456789abcdef0123456789abcdef"));
    }

    public static QueryApiParts wire(Clock clock, Ticker ticker) {
        ApiConfig config = defaultConfig();
        ObjectMapper mapper = Json.newMapper();
        InProcessRedis redis = new InProcessRedis();
        RedisSnapshots redisSnapshots = new RedisSnapshots(GuardedRedis.of(redis.client()),
                JsonSerde.snapshots(mapper),
                JsonSerde.pollerStatus(mapper));
        IqClient iq = new IqClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(),
                config.streamsIqUrls(), config.iqToken(), JsonSerde.snapshots(mapper), mapper, Duration.ofSeconds(3));
        SnapshotLookup lookup = new SnapshotLookup(redisSnapshots, iq, config.memoryTtl(), config.memoryMaxEntries(),
                ticker);
        lookup.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        RateLimits limits = new RateLimits(new RateLimiter(GuardedRedis.of(redis.client()), clock,
                config.rateLimitWindow(),
                config.rateLimitFailOpen(), ticker), NEVER_REFUSING_LIMIT, NEVER_REFUSING_LIMIT, NEVER_REFUSING_LIMIT);
        SnapshotRenderer renderer = new SnapshotRenderer(redisSnapshots, mapper, clock, config.staleGrace());
        MetricsService service = new MetricsService(lookup, renderer, limits, mapper);
        return new QueryApiParts(config, mapper, redis, lookup, limits, renderer, service);
    }
}
