package com.dbmetrics.api;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.schemas.config.RedisEndpoint;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Everything the query API is configured with; {@link #fromEnv} reads it and the constructor refuses bad values. */
public record ApiConfig(
        int port,
        int managementPort,
        String bindHost,
        RedisEndpoint redis,
        List<URI> streamsIqUrls,
        InternalToken iqToken,
        Optional<String> jwtSecret,
        Optional<String> jwksFile,
        Optional<String> jwtIssuer,
        Optional<String> jwtAudience,
        Duration maxTokenLifetime,
        int authFailedPerClient,
        int authFailedGlobal,
        Duration memoryTtl,
        int memoryMaxEntries,
        Duration staleGrace,
        int rateLimitPerUser,
        int rateLimitPerDatabase,
        int rateLimitGlobal,
        boolean rateLimitFailOpen,
        boolean rateLimitAdmitAhead,
        Duration rateLimitWindow,
        List<String> corsOrigins,
        Load load,
        RedisGuard redisGuard,
        Duration shutdownDelay,
        Live live) {

    /**
     * The live side: whether the instance subscribes to the streams-app's feed ({@code feed}: live streams and L1
     * copies replaced the moment a newer snapshot is in Redis; off, streams still open but only send their first
     * snapshot and heartbeats, and L1 answers age until their TTL as before), how many streams it keeps open at most
     * ({@code maxStreams}) and per user ({@code streamsPerUser}), how many events a stream may have waiting for a slow
     * client before it is closed ({@code streamBuffer}), and how often an idle stream gets a heartbeat comment.
     */
    public record Live(boolean feed, int maxStreams, int streamsPerUser, int streamBuffer, Duration heartbeat) {
        public Live {
            Env.requireAtLeast(API_MAX_STREAMS, maxStreams, 0);
            Env.requireAtLeast(API_MAX_STREAMS_PER_USER, streamsPerUser, 1);
            Env.requireAtLeast(API_STREAM_BUFFER, streamBuffer, 1);
            Env.requirePositive(API_STREAM_HEARTBEAT, heartbeat);
        }

        static Live fromEnv(Env env) {
            return new Live(env.flag(API_LIVE_FEED, true), env.integer(API_MAX_STREAMS, 20_000),
                    env.integer(API_MAX_STREAMS_PER_USER, 10), env.integer(API_STREAM_BUFFER, 64),
                    env.duration(API_STREAM_HEARTBEAT, Duration.ofSeconds(15)));
        }
    }

    /**
     * How long one Redis call may take ({@code timeout}: each answer, and the wait for a pooled connection), and, once
     * calls went unanswered, how long the API stops calling before it probes again ({@code retry}); see
     * {@code source.RedisBreaker}.
     */
    public record RedisGuard(Duration timeout, Duration retry) {
        public RedisGuard {
            Env.requirePositive(API_REDIS_TIMEOUT, timeout);
            Env.requirePositive(API_REDIS_RETRY, retry);
        }

        static RedisGuard fromEnv(Env env) {
            return new RedisGuard(env.duration(API_REDIS_TIMEOUT, Duration.ofMillis(50)),
                    env.duration(API_REDIS_RETRY, Duration.ofSeconds(1)));
        }
    }

    /**
     * How much work an instance takes at once: requests running, requests waiting for a slot, and how long one may
     * wait (long while the queue is a burst, short once it stands), see {@code load.LoadShedder}; and how a starting
     * instance warms up before it reports ready ({@code warmupRequests} to itself, within {@code warmupMaxTime}), see
     * {@code load.Warmup}.
     */
    public record Load(int minConcurrent, int maxConcurrent, int maxQueued, Duration queueWait,
            Duration overloadQueueWait, Duration slotHoldTarget, int warmupRequests, Duration warmupMaxTime) {

        /**
         * The most requests running per core by default (at least {@link #MAX_CONCURRENT_AT_LEAST}): enough that
         * requests waiting for a Redis round trip (a user's first read in its window waits for a lease) do not hold
         * every slot, few enough that the ones running share the cores without a long queue (32 reads of ~0.15 ms on
         * a core: ~5 ms).
         */
        static final int CONCURRENT_PER_CORE = 16;
        static final int MAX_CONCURRENT_AT_LEAST = 32;
        /**
         * The least the slots fall to per core while the CPU is saturated: reads from memory take ~0.1 ms of CPU
         * each, so two per core keep a core busy without making them share it.
         */
        static final int LEAST_CONCURRENT_PER_CORE = 2;

        public Load {
            Env.requireAtLeast(API_MIN_CONCURRENT_REQUESTS, minConcurrent, 1);
            Env.requireAtLeast(API_MAX_CONCURRENT_REQUESTS, maxConcurrent, minConcurrent);
            Env.requireAtLeast(API_MAX_QUEUED_REQUESTS, maxQueued, 0);
            Env.requirePositive(API_QUEUE_WAIT, queueWait);
            Env.requirePositive(API_OVERLOAD_QUEUE_WAIT, overloadQueueWait);
            Env.requirePositive(API_SLOT_HOLD_TARGET, slotHoldTarget);
            Env.requireAtLeast(API_WARMUP_REQUESTS, warmupRequests, 0);
            Env.requirePositive(API_WARMUP_MAX_TIME, warmupMaxTime);
            if (overloadQueueWait.compareTo(queueWait) > 0) {
                throw new ConfigException(API_OVERLOAD_QUEUE_WAIT + " must not exceed " + API_QUEUE_WAIT + " but "
                        + overloadQueueWait + " > " + queueWait);
            }
        }

        static Load fromEnv(Env env) {
            int cores = Runtime.getRuntime().availableProcessors();
            int concurrent = env.integer(API_MAX_CONCURRENT_REQUESTS,
                    Math.max(MAX_CONCURRENT_AT_LEAST, CONCURRENT_PER_CORE * cores));
            int least = env.integer(API_MIN_CONCURRENT_REQUESTS,
                    Math.min(concurrent, LEAST_CONCURRENT_PER_CORE * cores));
            return new Load(least, concurrent, env.integer(API_MAX_QUEUED_REQUESTS, 4 * concurrent),
                    env.duration(API_QUEUE_WAIT, Duration.ofMillis(100)),
                    env.duration(API_OVERLOAD_QUEUE_WAIT, Duration.ofMillis(5)),
                    env.duration(API_SLOT_HOLD_TARGET, Duration.ofMillis(1)),
                    env.integer(API_WARMUP_REQUESTS, 20_000),
                    env.duration(API_WARMUP_MAX_TIME, Duration.ofSeconds(30)));
        }
    }

    /** Port of the public API (default 8080). */
    public static final String API_PORT = "API_PORT";
    /** Port of /metrics (Prometheus text format), kept off the public port (default 8081). */
    public static final String API_MANAGEMENT_PORT = "API_MANAGEMENT_PORT";
    /** Address both ports bind (default 127.0.0.1, loopback: expose the API on purpose, e.g. a pod's address). */
    public static final String API_BIND_HOST = "API_BIND_HOST";
    /** Redis holding the snapshots the streams-app mirrors: {@link RedisEndpoint} (URL, user, password, CA file). */
    public static final String REDIS_URL = RedisEndpoint.REDIS_URL;
    /** Comma-separated base URLs of streams-app instances; any will do, the next is tried on failure. */
    public static final String STREAMS_IQ_URLS = "STREAMS_IQ_URLS";
    /**
     * The streams-app's shared secret (at least 32 bytes), sent as {@code Authorization: Bearer} on every
     * interactive-query call. Required. Read as {@value #STREAMS_IQ_TOKEN_FILE} (preferred) or this.
     */
    public static final String STREAMS_IQ_TOKEN = "STREAMS_IQ_TOKEN";
    /** File holding the streams-app's shared secret, instead of {@value #STREAMS_IQ_TOKEN}. */
    public static final String STREAMS_IQ_TOKEN_FILE = "STREAMS_IQ_TOKEN_FILE";
    /** HS256 secret, at least 32 bytes. Exactly one of this, AUTH_JWT_SECRET_FILE and AUTH_JWKS_FILE. */
    public static final String AUTH_JWT_SECRET = "AUTH_JWT_SECRET";
    /**
     * File holding the HS256 secret (one trailing line break ignored), instead of AUTH_JWT_SECRET: keeps the secret out
     * of the process environment. Exactly one of this, AUTH_JWT_SECRET and AUTH_JWKS_FILE.
     */
    public static final String AUTH_JWT_SECRET_FILE = "AUTH_JWT_SECRET_FILE";
    /** JWKS file with RS256/ES256 public keys. Exactly one of this, AUTH_JWT_SECRET and AUTH_JWT_SECRET_FILE. */
    public static final String AUTH_JWKS_FILE = "AUTH_JWKS_FILE";
    /** Required {@code iss} when set. */
    public static final String AUTH_JWT_ISSUER = "AUTH_JWT_ISSUER";
    /** Required {@code aud} when set. */
    public static final String AUTH_JWT_AUDIENCE = "AUTH_JWT_AUDIENCE";
    /** Longest accepted token lifetime, {@code exp - iat} (or {@code exp - now} without {@code iat}); default 24h. */
    public static final String AUTH_MAX_TOKEN_LIFETIME = "AUTH_MAX_TOKEN_LIFETIME";
    /** Failed token checks per client address per minute before its tokens are refused unchecked (default 30). */
    public static final String AUTH_FAILED_PER_CLIENT = "AUTH_FAILED_PER_CLIENT";
    /** Failed token checks per second over all clients before tokens are refused unchecked (default 1000). */
    public static final String AUTH_FAILED_GLOBAL = "AUTH_FAILED_GLOBAL";
    /** How long a snapshot stays in the in-memory L1 cache (default 5 s). */
    public static final String METRICS_CACHE_MEMORY_TTL = "METRICS_CACHE_MEMORY_TTL";
    /** Most snapshots the L1 cache holds (default 100000). */
    public static final String METRICS_CACHE_MEMORY_MAX_ENTRIES = "METRICS_CACHE_MEMORY_MAX_ENTRIES";
    /** Grace added to 2 × interval before a snapshot counts as stale (default 5 s). */
    public static final String METRICS_STALE_GRACE = "METRICS_STALE_GRACE";

    /** Requests per window per user (default 100). */
    public static final String METRICS_RATE_LIMIT_PER_USER = "METRICS_RATE_LIMIT_PER_USER";
    /** Reads per window per database that reach the source, the streams-app (default 1000). */
    public static final String METRICS_RATE_LIMIT_PER_DB = "METRICS_RATE_LIMIT_PER_DB";
    /** Requests per window over all users; 0 or unset turns it off (default off). */
    public static final String METRICS_RATE_LIMIT_GLOBAL = "METRICS_RATE_LIMIT_GLOBAL";
    /** When Redis is unreachable: true admits through a per-instance limiter, false refuses (default true). */
    public static final String METRICS_RATE_LIMIT_FAIL_OPEN = "METRICS_RATE_LIMIT_FAIL_OPEN";
    /**
     * Whether a subject's first request at this instance in a window is admitted while its lease is asked from Redis
     * (true, default: at most one request per instance and window over a limit of 100 or more), or waits for it.
     */
    public static final String METRICS_RATE_LIMIT_ADMIT_AHEAD = "METRICS_RATE_LIMIT_ADMIT_AHEAD";
    /** Length of the sliding window the limits count over (default 1m: the limits are per minute). */
    public static final String METRICS_RATE_LIMIT_WINDOW = "METRICS_RATE_LIMIT_WINDOW";
    /** Comma-separated origins allowed by CORS, or * (default: none, CORS off). */
    public static final String API_CORS_ORIGINS = "API_CORS_ORIGINS";
    /** API requests (under /api/) running at once at most (default 16 per core, at least 32); more wait for a slot. */
    public static final String API_MAX_CONCURRENT_REQUESTS = "API_MAX_CONCURRENT_REQUESTS";
    /** The least the overload guard's slots fall to while the CPU is saturated (default 2 per core). */
    public static final String API_MIN_CONCURRENT_REQUESTS = "API_MIN_CONCURRENT_REQUESTS";
    /** Requests waiting for a slot at most (default 4 × the concurrency); more are answered 503 at once. */
    public static final String API_MAX_QUEUED_REQUESTS = "API_MAX_QUEUED_REQUESTS";
    /**
     * How long a request may wait for a slot while the queue is a burst, i.e. has been empty within this long
     * (default 100ms); also how long the queue must stand before the instance counts as overloaded.
     */
    public static final String API_QUEUE_WAIT = "API_QUEUE_WAIT";
    /** How long a request may wait for a slot while overloaded (default 5ms); then it is answered 503. */
    public static final String API_OVERLOAD_QUEUE_WAIT = "API_OVERLOAD_QUEUE_WAIT";
    /**
     * The mean time admitted requests may hold their slot over an interval ({@code API_QUEUE_WAIT}) before the slots
     * are halved (default 1ms: a read from memory takes about a tenth of that; longer means they wait for the CPU).
     */
    public static final String API_SLOT_HOLD_TARGET = "API_SLOT_HOLD_TARGET";
    /**
     * Requests a starting instance sends itself, through its own API port, before {@code /readyz} answers 200
     * (default 20000; 0: ready at once). See {@code load.Warmup}.
     */
    public static final String API_WARMUP_REQUESTS = "API_WARMUP_REQUESTS";
    /** The longest the warm-up may take; the instance is ready then whatever it has sent (default 30s). */
    public static final String API_WARMUP_MAX_TIME = "API_WARMUP_MAX_TIME";
    /** How long one Redis call may take: each answer and the wait for a pooled connection (default 50ms). */
    public static final String API_REDIS_TIMEOUT = "API_REDIS_TIMEOUT";
    /**
     * On SIGTERM, how long {@code /readyz} answers 503 before the API port closes, so that load balancers stop sending
     * requests first (default 2s); the requests in flight then finish.
     */
    public static final String API_SHUTDOWN_DELAY = "API_SHUTDOWN_DELAY";
    /** How long the API stops calling an unanswering Redis before it probes again (default 1s). */
    public static final String API_REDIS_RETRY = "API_REDIS_RETRY";

    /**
     * Subscribe to the live feed on Redis (default true): streams deliver each new snapshot, L1 copies are replaced
     * when a newer snapshot exists. False: streams send the current snapshot and heartbeats only.
     */
    public static final String API_LIVE_FEED = "API_LIVE_FEED";
    /** Server-sent event streams open at once on this instance, at most (default 20000; 0 turns streams off). */
    public static final String API_MAX_STREAMS = "API_MAX_STREAMS";
    /** Streams one user (JWT {@code sub}) may hold open on this instance (default 10). */
    public static final String API_MAX_STREAMS_PER_USER = "API_MAX_STREAMS_PER_USER";
    /** Events a stream may have waiting for a slow client before it is closed (default 64). */
    public static final String API_STREAM_BUFFER = "API_STREAM_BUFFER";
    /** The longest a stream goes without a write: an idle one then gets a heartbeat comment (default 15s). */
    public static final String API_STREAM_HEARTBEAT = "API_STREAM_HEARTBEAT";

    public static final int MIN_SECRET_BYTES = 32;
    /** Loopback: neither port is reachable from another host unless {@value #API_BIND_HOST} says so. */
    public static final String DEFAULT_BIND_HOST = "127.0.0.1";

    public ApiConfig {
        requirePort(API_PORT, port);
        requirePort(API_MANAGEMENT_PORT, managementPort);
        if (bindHost == null || bindHost.isBlank()) {
            throw new ConfigException(API_BIND_HOST + " must name an address to bind");
        }
        if (redis == null) {
            throw new ConfigException(REDIS_URL + " must be set");
        }
        if (streamsIqUrls.isEmpty()) {
            throw new ConfigException(STREAMS_IQ_URLS + " must list at least one http://host:port URL");
        }
        if (iqToken == null) {
            throw new ConfigException(STREAMS_IQ_TOKEN_FILE + " (or " + STREAMS_IQ_TOKEN
                    + ") must be set: the streams-app's interactive-query API refuses calls without its token");
        }
        if (jwtSecret.isPresent() == jwksFile.isPresent()) {
            throw new ConfigException("exactly one of " + AUTH_JWT_SECRET + " (or " + AUTH_JWT_SECRET_FILE + ") and "
                    + AUTH_JWKS_FILE + " must be set");
        }
        jwtSecret.ifPresent(s -> {
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            if (bytes < MIN_SECRET_BYTES) {
                throw new ConfigException(AUTH_JWT_SECRET + " must be at least " + MIN_SECRET_BYTES
                        + " bytes but was " + bytes);
            }
        });
        Env.requirePositive(AUTH_MAX_TOKEN_LIFETIME, maxTokenLifetime);
        Env.requireAtLeast(AUTH_FAILED_PER_CLIENT, authFailedPerClient, 1);
        Env.requireAtLeast(AUTH_FAILED_GLOBAL, authFailedGlobal, 1);
        Env.requirePositive(METRICS_CACHE_MEMORY_TTL, memoryTtl);
        Env.requireAtLeast(METRICS_CACHE_MEMORY_MAX_ENTRIES, memoryMaxEntries, 1);
        if (staleGrace == null || staleGrace.isNegative()) {
            throw new ConfigException(METRICS_STALE_GRACE + " must be >= 0 but was " + staleGrace);
        }
        Env.requireAtLeast(METRICS_RATE_LIMIT_PER_USER, rateLimitPerUser, 1);
        Env.requireAtLeast(METRICS_RATE_LIMIT_PER_DB, rateLimitPerDatabase, 1);
        Env.requireAtLeast(METRICS_RATE_LIMIT_GLOBAL, rateLimitGlobal, 0);
        Env.requirePositive(METRICS_RATE_LIMIT_WINDOW, rateLimitWindow);
        corsOrigins = List.copyOf(corsOrigins);
        if (load == null || redisGuard == null) {
            throw new ConfigException("the load bounds and the Redis guard must be set");
        }
        if (shutdownDelay == null || shutdownDelay.isNegative()) {
            throw new ConfigException(API_SHUTDOWN_DELAY + " must be >= 0 but was " + shutdownDelay);
        }
        if (live == null) {
            throw new ConfigException("the live settings must be set");
        }
    }

    public static ApiConfig fromEnv(Map<String, String> variables) {
        Env env = new Env(variables);
        return new ApiConfig(
                env.integer(API_PORT, 8080),
                env.integer(API_MANAGEMENT_PORT, 8081),
                env.string(API_BIND_HOST, DEFAULT_BIND_HOST),
                RedisEndpoint.fromEnv(env),
                Arrays.stream(env.required(STREAMS_IQ_URLS).split(","))
                        .map(String::trim).filter(s -> !s.isEmpty())
                        .map(s -> uri(STREAMS_IQ_URLS, s.endsWith("/") ? s.substring(0, s.length() - 1) : s))
                        .toList(),
                InternalToken.fromEnv(env, STREAMS_IQ_TOKEN), // at least 32 printable bytes, like the streams-app's
                jwtSecret(variables),
                Optional.ofNullable(env.string(AUTH_JWKS_FILE, null)),
                Optional.ofNullable(env.string(AUTH_JWT_ISSUER, null)),
                Optional.ofNullable(env.string(AUTH_JWT_AUDIENCE, null)),
                env.duration(AUTH_MAX_TOKEN_LIFETIME, Duration.ofHours(24)),
                env.integer(AUTH_FAILED_PER_CLIENT, 30),
                env.integer(AUTH_FAILED_GLOBAL, 1000),
                env.duration(METRICS_CACHE_MEMORY_TTL, Duration.ofSeconds(5)),
                env.integer(METRICS_CACHE_MEMORY_MAX_ENTRIES, 100_000),
                env.duration(METRICS_STALE_GRACE, Duration.ofSeconds(5)),
                env.integer(METRICS_RATE_LIMIT_PER_USER, 100),
                env.integer(METRICS_RATE_LIMIT_PER_DB, 1000),
                env.integer(METRICS_RATE_LIMIT_GLOBAL, 0),
                env.flag(METRICS_RATE_LIMIT_FAIL_OPEN, true),
                env.flag(METRICS_RATE_LIMIT_ADMIT_AHEAD, true),
                env.duration(METRICS_RATE_LIMIT_WINDOW, Duration.ofMinutes(1)),
                Arrays.stream(env.string(API_CORS_ORIGINS, "").split(","))
                        .map(String::trim).filter(o -> !o.isEmpty()).toList(),
                Load.fromEnv(env),
                RedisGuard.fromEnv(env),
                env.duration(API_SHUTDOWN_DELAY, Duration.ofSeconds(2)),
                Live.fromEnv(env));
    }

    /**
     * The HS256 secret from {@value #AUTH_JWT_SECRET} or the file named by {@value #AUTH_JWT_SECRET_FILE} (not both),
     * at least {@value #MIN_SECRET_BYTES} bytes; empty when neither is set. Also what the {@code token} command signs
     * with.
     */
    public static Optional<String> jwtSecret(Map<String, String> variables) {
        Env env = new Env(variables);
        String inline = env.string(AUTH_JWT_SECRET, null);
        String file = env.string(AUTH_JWT_SECRET_FILE, null);
        if (inline != null && file != null) {
            throw new ConfigException("set only one of " + AUTH_JWT_SECRET + " and " + AUTH_JWT_SECRET_FILE);
        }
        if (file == null) {
            return Optional.ofNullable(inline);
        }
        String secret;
        try {
            secret = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(AUTH_JWT_SECRET_FILE + " must name a readable file but was \"" + file + "\"");
        }
        secret = secret.endsWith("\r\n") ? secret.substring(0, secret.length() - 2)
                : secret.endsWith("\n") ? secret.substring(0, secret.length() - 1) : secret;
        int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_SECRET_BYTES) {
            throw new ConfigException(AUTH_JWT_SECRET_FILE + " must hold at least " + MIN_SECRET_BYTES
                    + " bytes but " + file + " holds " + bytes);
        }
        return Optional.of(secret);
    }

    private static URI uri(String name, String value) {
        try {
            URI uri = URI.create(value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + " must hold URLs like scheme://host:port but was \"" + value + "\"");
        }
    }

    private static void requirePort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new ConfigException(name + " must be 0-65535 but was " + port);
        }
    }
}
