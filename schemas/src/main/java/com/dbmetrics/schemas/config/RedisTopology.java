package com.dbmetrics.schemas.config;

import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.HostAndPort;

/**
 * How the Redis of a {@link RedisEndpoint} is laid out:
 * <ul>
 *   <li>{@link Kind#SINGLE}: one node, the host and port of {@code REDIS_URL} (the default);</li>
 *   <li>{@link Kind#SENTINEL}: a primary with replicas watched by Redis Sentinel: {@code REDIS_SENTINELS} (comma-separated
 *       {@code host:port} of the sentinels) and {@code REDIS_SENTINEL_MASTER} (the name they monitor it under); the
 *       client asks the sentinels for the primary and follows their {@code +switch-master} after a failover;
 *       {@code REDIS_SENTINEL_USERNAME} and {@code REDIS_SENTINEL_PASSWORD} (or its file) if the sentinels require
 *       authentication;</li>
 *   <li>{@link Kind#CLUSTER}: a Redis Cluster: {@code REDIS_CLUSTER_NODES} (comma-separated {@code host:port} seeds);
 *       the client learns the slot map from them and refreshes it on {@code MOVED} after a failover.</li>
 * </ul>
 * In the last two the host and port of {@code REDIS_URL} are not used; its scheme (TLS), user, password and database
 * are, for every node. Sentinels are reached with the same TLS settings as the nodes.
 */
public record RedisTopology(Kind kind, List<HostAndPort> nodes, String master, String sentinelUsername,
        Secret sentinelPassword) {

    public static final String REDIS_SENTINELS = "REDIS_SENTINELS";
    public static final String REDIS_SENTINEL_MASTER = "REDIS_SENTINEL_MASTER";
    public static final String REDIS_SENTINEL_USERNAME = "REDIS_SENTINEL_USERNAME";
    /** Read as {@code REDIS_SENTINEL_PASSWORD_FILE} (preferred) or {@code REDIS_SENTINEL_PASSWORD}. */
    public static final String REDIS_SENTINEL_PASSWORD = "REDIS_SENTINEL_PASSWORD";
    public static final String REDIS_CLUSTER_NODES = "REDIS_CLUSTER_NODES";

    public static final RedisTopology SINGLE = new RedisTopology(Kind.SINGLE, List.of(), null, null, null);

    public enum Kind { SINGLE, SENTINEL, CLUSTER }

    public RedisTopology {
        nodes = List.copyOf(nodes);
        if (kind != Kind.SINGLE && nodes.isEmpty()) {
            throw new ConfigException((kind == Kind.SENTINEL ? REDIS_SENTINELS : REDIS_CLUSTER_NODES)
                    + " must name at least one host:port");
        }
        if (kind == Kind.SENTINEL && (master == null || master.isBlank())) {
            throw new ConfigException(REDIS_SENTINELS + " is set, so " + REDIS_SENTINEL_MASTER
                    + " must name the primary the sentinels monitor");
        }
    }

    public static RedisTopology fromEnv(Env env) {
        String sentinels = env.string(REDIS_SENTINELS, "");
        String cluster = env.string(REDIS_CLUSTER_NODES, "");
        if (!sentinels.isBlank() && !cluster.isBlank()) {
            throw new ConfigException("set " + REDIS_SENTINELS + " or " + REDIS_CLUSTER_NODES + ", not both");
        }
        if (!sentinels.isBlank()) {
            return new RedisTopology(Kind.SENTINEL, hosts(REDIS_SENTINELS, sentinels),
                    env.string(REDIS_SENTINEL_MASTER, null), env.string(REDIS_SENTINEL_USERNAME, null),
                    Secret.fromEnv(env, REDIS_SENTINEL_PASSWORD));
        }
        if (!cluster.isBlank()) {
            return new RedisTopology(Kind.CLUSTER, hosts(REDIS_CLUSTER_NODES, cluster), null, null, null);
        }
        return SINGLE;
    }

    static List<HostAndPort> hosts(String variable, String value) {
        List<HostAndPort> hosts = new ArrayList<>();
        for (String part : value.split(",")) {
            String hostPort = part.strip();
            if (hostPort.isEmpty()) {
                continue;
            }
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0 || colon == hostPort.length() - 1) {
                throw new ConfigException(variable + " must be comma-separated host:port but had '" + hostPort + "'");
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new ConfigException(variable + " must name ports 1-65535 but had '" + hostPort + "'");
            }
            hosts.add(new HostAndPort(hostPort.substring(0, colon), port));
        }
        return hosts;
    }

    /** For logs: {@code sentinel master dbmetrics via 127.0.0.1:1,127.0.0.1:2}; empty for one node. */
    public String describe() {
        return switch (kind) {
            case SINGLE -> "";
            case SENTINEL -> " (sentinel master " + master + " via " + joined() + ")";
            case CLUSTER -> " (cluster via " + joined() + ")";
        };
    }

    private String joined() {
        return String.join(",", nodes.stream().map(HostAndPort::toString).toList());
    }

    @Override
    public String toString() {
        return "RedisTopology[" + kind + describe() + (sentinelPassword == null ? "" : ", sentinel password ****") + "]";
    }
}
