package com.dbmetrics.schemas.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * Where and as whom a process talks to Redis, from Redis' own URL convention: {@code REDIS_URL} =
 * {@code redis://[user[:password]@]host:port[/db]} or {@code rediss://...} for TLS, with {@code REDIS_USERNAME},
 * {@code REDIS_PASSWORD_FILE} (or {@code REDIS_PASSWORD}) taking precedence over the URL's user info (so the password
 * need not sit in a URL) and {@code REDIS_CA_FILE} the PEM CA certificates a {@code rediss://} server is checked
 * against (else the JVM's). {@link #toString()} shows no password.
 */
public record RedisEndpoint(String host, int port, boolean tls, String username, Secret password, int database,
        Path caFile) {

    public static final String REDIS_URL = "REDIS_URL";
    public static final String REDIS_USERNAME = "REDIS_USERNAME";
    /** Read as {@code REDIS_PASSWORD_FILE} (preferred) or {@code REDIS_PASSWORD}. */
    public static final String REDIS_PASSWORD = "REDIS_PASSWORD";
    public static final String REDIS_CA_FILE = "REDIS_CA_FILE";

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
    }

    /** Plain, anonymous, database 0: for tests of one class and tools given only host and port. */
    public static RedisEndpoint plain(String host, int port) {
        return new RedisEndpoint(host, port, false, null, null, 0, null);
    }

    public static RedisEndpoint fromEnv(Env env) {
        RedisEndpoint url = parse(env.required(REDIS_URL));
        String username = env.string(REDIS_USERNAME, url.username());
        Secret password = Secret.fromEnv(env, REDIS_PASSWORD);
        return new RedisEndpoint(url.host(), url.port(), url.tls(), username, password != null ? password : url.password(),
                url.database(), PemTrust.existingFile(env, REDIS_CA_FILE));
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
                username, password, database, null);
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
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(connectTimeoutMillis).socketTimeoutMillis(socketTimeoutMillis)
                .database(database).clientName(clientName).ssl(tls);
        if (username != null) {
            b.user(username);
        }
        if (password != null) {
            b.password(password.reveal());
        }
        if (tls) {
            if (caFile != null) {
                b.sslSocketFactory(PemTrust.sslContext(REDIS_CA_FILE, caFile).getSocketFactory());
            }
            SSLParameters params = new SSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            b.sslParameters(params);
        }
        return b.build();
    }

    /** {@code rediss://user@host:port/db}, no password: for logs. */
    public String describe() {
        return (tls ? "rediss://" : "redis://") + (username == null ? "" : username + "@") + host + ":" + port
                + (database == 0 ? "" : "/" + database);
    }

    @Override
    public String toString() {
        return "RedisEndpoint[" + describe() + (password == null ? "" : ", password ****")
                + (caFile == null ? "" : ", caFile=" + caFile) + "]";
    }
}
