package com.dbmetrics.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.executors.CommandExecutor;

/**
 * The few Redis commands the query API's hot path sends, answered in this process, so the JMH benchmarks measure the
 * API's own work and no network: {@code GET} of values put here, {@code SCRIPT LOAD}, and {@code EVALSHA} of the
 * rate-limit lease script, answered as {@code query-api/src/main/resources/redis/rate-limit.lua} answers (sliding-window
 * estimate per scope, grants min(wanted, left), counted when granted). Anything else fails loudly.
 *
 * <p>Given to the production classes as the {@link UnifiedJedis} they take ({@link #client()}), so they run unchanged.
 */
public final class InProcessRedis implements CommandExecutor {

    private static final String SHA = "in-process-rate-limit-script";

    private final Map<String, byte[]> values = new HashMap<>();
    private final Map<String, Long> counters = new HashMap<>();
    /** Lease round trips answered: one per lease, i.e. per 1000 decisions at the limits the benchmarks use. */
    public final LongAdder leases = new LongAdder();

    /** A Jedis client whose commands this object answers. */
    public UnifiedJedis client() {
        return new UnifiedJedis(this);
    }

    public synchronized void put(String key, byte[] value) {
        values.put(key, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <T> T executeCommand(CommandObject<T> command) {
        CommandArguments args = command.getArguments();
        if (args.getCommand() == Protocol.Command.GET) {
            return (T) values.get(arg(args, 1));
        }
        if (args.getCommand() == Protocol.Command.SCRIPT && "LOAD".equalsIgnoreCase(arg(args, 1))) {
            return (T) SHA;
        }
        if (args.getCommand() == Protocol.Command.EVALSHA && SHA.equals(arg(args, 1))) {
            return (T) lease(args);
        }
        throw new UnsupportedOperationException("InProcessRedis does not answer "
                + new String(args.getCommand().getRaw(), StandardCharsets.US_ASCII));
    }

    /** EVALSHA sha numkeys KEYS... ARGV...: the lease script, see rate-limit.lua for the contract. */
    private List<Long> lease(CommandArguments args) {
        leases.increment();
        int keyCount = Integer.parseInt(arg(args, 2));
        int argv = 3 + keyCount;
        long window = Long.parseLong(arg(args, argv));
        int scopes = keyCount / 2;
        long[] grants = new long[scopes];
        long[] lefts = new long[scopes];
        for (int i = 0; i < scopes; i++) {
            long limit = Long.parseLong(arg(args, argv + 1 + 3 * i));
            long want = Long.parseLong(arg(args, argv + 2 + 3 * i));
            long elapsed = Long.parseLong(arg(args, argv + 3 + 3 * i));
            double weight = (double) (window - elapsed) / window;
            long current = counters.getOrDefault(arg(args, 3 + 2 * i), 0L);
            long previous = counters.getOrDefault(arg(args, 4 + 2 * i), 0L);
            long available = (long) Math.floor(limit - (previous * weight + current));
            if (available < 1) {
                return List.of(0L, (long) i + 1, 1L); // the benchmarks' limits never get here; retry is not modelled
            }
            grants[i] = Math.min(want, available);
            lefts[i] = available - grants[i];
        }
        List<Long> result = new ArrayList<>(2 + 2 * scopes);
        result.add(1L);
        result.add(0L);
        for (int i = 0; i < scopes; i++) {
            counters.merge(arg(args, 3 + 2 * i), grants[i], Long::sum);
            result.add(grants[i]);
            result.add(lefts[i]);
        }
        return result;
    }

    private static String arg(CommandArguments args, int index) {
        return new String(args.get(index).getRaw(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {}
}
