package com.dbmetrics.schemas.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A Lua script kept in Redis' script cache: loaded once, called by its SHA, loaded again when Redis forgot it
 * ({@code NOSCRIPT} after a restart, a failover or {@code SCRIPT FLUSH}). Thread-safe; one instance per script.
 */
public final class LuaScript {

    private final String name;
    private final String source;
    private volatile String sha;

    private LuaScript(String name, String source) {
        this.name = name;
        this.source = source;
    }

    /** The script at {@code resource} on the class path (for example {@code /redis/rate-limit.lua}). */
    public static LuaScript fromClasspath(String resource) {
        try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath");
            }
            return new LuaScript(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** Runs the script; loads it first when Redis does not have it, and once more when Redis forgot it. */
    public Object eval(UnifiedJedis redis, List<String> keys, List<String> args) {
        try {
            return redis.evalsha(sha(redis), keys, args);
        } catch (JedisDataException e) {
            if (!forgotten(e)) {
                throw e;
            }
            return redis.evalsha(sha(redis), keys, args);
        }
    }

    /** The script's SHA in Redis' script cache, loading it there if this instance has not yet. For pipelines. */
    public String sha(UnifiedJedis redis) {
        String current = sha;
        if (current == null) {
            current = redis.scriptLoad(source);
            sha = current;
        }
        return current;
    }

    /**
     * Whether {@code e} says Redis no longer has the script; if so, the next {@link #sha} loads it again. A pipeline
     * that failed with it is retried by its owner.
     */
    public boolean forgotten(JedisDataException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
            sha = null;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "LuaScript[" + name + "]";
    }
}
