package com.dbmetrics.schemas.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import javax.net.ssl.SSLParameters;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Where and as whom a process talks to Redis, from Redis' own URL convention: {@code REDIS_URL} =
 * {@code redis://[user[:password]@]host:port[/db]} or {@code rediss://...} for TLS, with {@code REDIS_USERNAME},
 * {@code REDIS_PASSWORD_FILE} (or {@code REDIS_PASSWORD}) taking precedence over the URL's user info (so the password
 * need not sit in a URL) and {@code REDIS_CA_FILE} the PEM CA certificates a {@code rediss://} server is checked
 * against (else the JVM's). {@link #topology()} says whether that host is the one node, or Sentinel or Cluster find
 * the nodes ({@link RedisTopology}); {@link #open} makes the client for either. {@link #toString()} shows no password.
 */
public record RedisEndpoint(String host, int port, boolean tls, String username, Secret password, int database,
        Path caFile, RedisTopology topology) {

    public static final String REDIS_URL = "REDIS_URL";
    public static final String REDIS_USERNAME = "REDIS_USERNAME";
    /** Read as {@code REDIS_PASSWORD_FILE} (preferred) or {@code REDIS_PASSWORD}. */
    public static final String REDIS_PASSWORD = "REDIS_PASSWORD";
    public static final String REDIS_CA_FILE = "REDIS_CA_FILE";
    /** Tries of a cluster command that is redirected or fails on a connection (the slot map is refreshed between). */
    static final int CLUSTER_MAX_ATTEMPTS = 3;

    public RedisEndpoint {
        if (host == null || host.isBlank()) {
            throw new ConfigException(REDIS_URL + " must name a host");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(REDIS_URL + " must name a port 1-65535 but had " + port);
        }
        if (database < 0) {
            throw new ConfigException(REDIS_URL + " database must be >= 0 but was " + database);
        }
        if (caFile != null && !tls) {
            throw new ConfigException(REDIS_CA_FILE + " is set but " + REDIS_URL + " is not rediss://");
        }
        topology = topology == null ? RedisTopology.SINGLE : topology;
    }

    /** Plain, anonymous, database 0: for tests of one class and tools given only host and port. */
    public static RedisEndpoint plain(String host, int port) {
        return new RedisEndpoint(host, port, false, null, null, 0, null, RedisTopology.SINGLE);
    }

    public static RedisEndpoint fromEnv(Env env) {
        RedisEndpoint url = parse(env.required(REDIS_URL));
        String username = env.string(REDIS_USERNAME, url.username());
        Secret password = Secret.fromEnv(env, REDIS_PASSWORD);
        return new RedisEndpoint(url.host(), url.port(), url.tls(), username, password != null ? password : url.password(),
                url.database(), PemTrust.existingFile(env, REDIS_CA_FILE), RedisTopology.fromEnv(env));
    }

    /** Parses a Redis URL; the message never repeats a password it may contain. */
    public static RedisEndpoint parse(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new ConfigException(REDIS_URL + " must be a redis:// or rediss:// URL but could not be parsed");
        }
        String scheme = uri.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme) || uri.getHost() == null) {
            throw new ConfigException(REDIS_URL + " must be redis://[user[:password]@]host:port[/db] or rediss://..."
                    + " but was " + redacted(uri));
        }
        String username = null;
        Secret password = null;
        String info = uri.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String user = colon < 0 ? info : info.substring(0, colon);
            username = user.isEmpty() ? null : decode(user);
            if (colon >= 0 && colon < info.length() - 1) {
                password = Secret.of(decode(info.substring(colon + 1)), REDIS_URL + " password");
            }
        }
        int database = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new ConfigException(REDIS_URL + " path must be a database number but was " + path);
            }
        }
        return new RedisEndpoint(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(), "rediss".equals(scheme),
                username, password, database, null, RedisTopology.SINGLE);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String redacted(URI uri) {
        return uri.getRawUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo(), "****");
    }

    public HostAndPort hostAndPort() {
        return new HostAndPort(host, port);
    }

    /** Jedis' client settings: user, password, database, TLS with the CA file and hostname verification. */
    public JedisClientConfig clientConfig(int timeoutMillis, String clientName) {
        return clientConfig(timeoutMillis, timeoutMillis, clientName);
    }

    /**
     * As {@link #clientConfig(int, String)}, with separate bounds for connecting (TCP and TLS handshake) and for each
     * answer: a reader that must not wait long for an answer may still need longer for a new TLS connection.
     */
    public JedisClientConfig clientConfig(int connectTimeoutMillis, int socketTimeoutMillis, String clientName) {
        return builder(connectTimeoutMillis, socketTimeoutMillis, clientName, username, password).database(database)
                .build();
    }

    /** The client settings for the sentinels: the nodes' TLS, the sentinels' own user and password, no database. */
    public JedisClientConfig sentinelClientConfig(int timeoutMillis, String clientName) {
        return builder(timeoutMillis, timeoutMillis, clientName, topology.sentinelUsername(),
                topology.sentinelPassword()).build();
    }

    /** Timeouts, name, credentials when given, and TLS with the CA file and hostname verification when rediss://. */
    private DefaultJedisClientConfig.Builder builder(int connectTimeoutMillis, int socketTimeoutMillis,
            String clientName, String user, Secret secret) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(connectTimeoutMillis).socketTimeoutMillis(socketTimeoutMillis)
                .clientName(clientName).ssl(tls);
        if (user != null) {
            b.user(user);
        }
        if (secret != null) {
            b.password(secret.reveal());
        }
        if (tls) {
            if (caFile != null) {
                b.sslSocketFactory(PemTrust.sslContext(REDIS_CA_FILE, caFile).getSocketFactory());
            }
            SSLParameters params = new SSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            b.sslParameters(params);
        }
        return b;
    }

    /**
     * The pooled client of this Redis as {@link #topology()} lays it out: one node's pool, a pool of the primary the
     * sentinels name (moved when they switch it), or a pool per cluster node with the slot map. {@code node} is
     * what each connection to a node uses ({@link #clientConfig(int, int, String)}).
     */
    public UnifiedJedis open(JedisClientConfig node, GenericObjectPoolConfig<Connection> pool) {
        return switch (topology.kind()) {
            case SINGLE -> new JedisPooled(hostAndPort(), node, pool);
            case SENTINEL -> new JedisSentineled(topology.master(), node, pool, new HashSet<>(topology.nodes()),
                    sentinelClientConfig(node.getConnectionTimeoutMillis(), node.getClientName() + "-sentinel"));
            case CLUSTER -> new JedisCluster(new HashSet<>(topology.nodes()), node, CLUSTER_MAX_ATTEMPTS, pool);
        };
    }

    /** As {@link #open(JedisClientConfig, GenericObjectPoolConfig)} with the pool library's defaults. */
    public UnifiedJedis open(JedisClientConfig node) {
        return open(node, new ConnectionPoolConfig());
    }

    /**
     * One connection of its own to a node that hears every {@code PUBLISH} (for a subscriber): the single node, the
     * primary {@code client} currently uses, or a cluster node ({@code PUBLISH} reaches every node of a cluster).
     * {@code client} must come from {@link #open}.
     */
    public Jedis connectForSubscribe(UnifiedJedis client, JedisClientConfig node) {
        return switch (topology.kind()) {
            case SINGLE -> new Jedis(hostAndPort(), node);
            case SENTINEL -> new Jedis(((JedisSentineled) client).getCurrentMaster(), node);
            case CLUSTER -> {
                RuntimeException failed = null;
                List<String> nodes = new ArrayList<>(((JedisCluster) client).getClusterNodes().keySet());
                Collections.shuffle(nodes);
                for (String n : nodes) {
                    Jedis jedis = new Jedis(HostAndPort.from(n), node);
                    try {
                        jedis.ping();
                        yield jedis;
                    } catch (RuntimeException e) {
                        jedis.close();
                        failed = e;
                    }
                }
                throw failed != null ? failed : new JedisConnectionException("no cluster node known");
            }
        };
    }

    /** {@code rediss://user@host:port/db}, no password: for logs. */
    public String describe() {
        return (tls ? "rediss://" : "redis://") + (username == null ? "" : username + "@") + host + ":" + port
                + (database == 0 ? "" : "/" + database) + topology.describe();
    }

    @Override
    public String toString() {
        return "RedisEndpoint[" + describe() + (password == null ? "" : ", password ****")
                + (caFile == null ? "" : ", caFile=" + caFile) + "]";
    }
}
