package com.dbmetrics.bench;

import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.api.auth.AuthFailureLimit;
import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.ratelimit.RateLimiter;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.github.benmanes.caffeine.cache.Ticker;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.executors.CommandExecutor;

/**
 * What the query API keeps per distinct user, measured on its real classes: the token check
 * ({@link JwtAuthenticator} as {@code QueryApi} builds it, HS256) and the per-user rate limit ({@link RateLimiter}
 * with the default 100 per minute) for N users, each with its own token, each making one request, all within one
 * window and one token-cache lifetime: the worst case, where nothing has expired yet. After each checkpoint the heap
 * is measured after full collections; {@code (heap(N) - heap(0)) / N} is the bytes per user at N users.
 *
 * <p>Redis is answered in this process by a stub that grants every lease and stores nothing, so the heap holds only
 * the API's own state (a real Redis holds the counters in its own process).
 *
 * <pre>
 * java -Xmx2g -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.PerUserMemory 10000 100000 1000000
 * </pre>
 * Prints one line per checkpoint: {@code memory users=N heap_bytes=H bytes_per_user=B ns_per_user=T}.
 */
public final class PerUserMemory {

    private static final String SECRET = "per-user-memory-secret-0123456789abcdef";
    private static final String ISSUER = "dbmetrics-dev";

    private PerUserMemory() {}

    public static void main(String[] args) throws Exception {
        List<Integer> checkpoints = new ArrayList<>(Arrays.stream(args).map(Integer::parseInt).sorted().toList());
        if (checkpoints.isEmpty()) {
            checkpoints = List.of(10_000, 100_000, 1_000_000);
        }
        Clock clock = Clock.systemUTC();
        Ticker ticker = Ticker.systemTicker();
        JwtAuthenticator auth = JwtAuthenticator.hmac(SECRET, ISSUER, null, clock, ticker)
                .limited(JwtAuthenticator.DEFAULT_MAX_LIFETIME, new AuthFailureLimit(clock, ticker, 30, 1000));
        RateLimits limits = new RateLimits(new RateLimiter(GuardedRedis.of(new UnifiedJedis(new GrantingRedis())),
                clock,
                Duration.ofMinutes(1), true, ticker), 100, 1000, 0);
        Mac mac = ApiReads.hmac(SECRET);
        long now = System.currentTimeMillis() / 1000;

        long base = heapAfterGc();
        System.out.printf(Locale.ROOT, "memory users=0 heap_bytes=%d%n", base);
        int done = 0;
        for (int checkpoint : checkpoints) {
            long start = System.nanoTime();
            int from = done;
            for (; done < checkpoint; done++) {
                String claims = "{\"sub\":\"user-" + done + "\",\"tenants\":[\"acme/shop\"],\"roles\":[],\"iat\":" + now
                        + ",\"exp\":" + (now + 3600) + ",\"iss\":\"" + ISSUER + "\"}";
                AuthResult result = auth.authenticate("Bearer " + ApiReads.token(mac, claims), "127.0.0.1");
                if (!(result instanceof AuthResult.Authenticated ok)) {
                    throw new IllegalStateException("token of user " + done + " refused: " + result);
                }
                if (!limits.admitRequest(ok.principal().userId()).allowed()) {
                    throw new IllegalStateException("user " + done + " refused by the rate limit");
                }
            }
            double nsPerUser = (System.nanoTime() - start) / (double) Math.max(1, done - from);
            long heap = heapAfterGc();
            System.out.printf(Locale.ROOT, "memory users=%d heap_bytes=%d bytes_per_user=%.0f ns_per_user=%.0f%n",
                    done, heap, (heap - base) / (double) done, nsPerUser);
        }
        // keep both alive until measured
        System.out.println("kept " + auth.hashCode() + limits.hashCode());
    }

    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Answers the rate-limit lease script by granting what is asked, remembering nothing; SCRIPT LOAD by a name. */
    private static final class GrantingRedis implements CommandExecutor {

        @Override
        @SuppressWarnings("unchecked")
        public <T> T executeCommand(CommandObject<T> command) {
            CommandArguments args = command.getArguments();
            if (args.getCommand() == Protocol.Command.SCRIPT) {
                return (T) "granting-stub";
            }
            if (args.getCommand() != Protocol.Command.EVALSHA) {
                throw new UnsupportedOperationException("only the lease script is answered here");
            }
            int keys = Integer.parseInt(arg(args, 2));
            int argv = 3 + keys;
            List<Long> result = new ArrayList<>();
            result.add(1L);
            result.add(0L);
            for (int i = 0; i < keys / 2; i++) {
                long limit = Long.parseLong(arg(args, argv + 1 + 3 * i));
                long want = Long.parseLong(arg(args, argv + 2 + 3 * i));
                result.add(want);
                result.add(limit - want);
            }
            return (T) result;
        }

        private static String arg(CommandArguments args, int index) {
            return new String(args.get(index).getRaw(), StandardCharsets.UTF_8);
        }

        @Override
        public void close() {}
    }
}
