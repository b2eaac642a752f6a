package com.dbmetrics.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds failed token checks, so a bad or foreign-signed token is not cheaper to send than to check: at most
 * {@code perClient} failures per client address per minute and {@code globalPerSecond} over all clients per second.
 * Past either bound, a token that would need its signature checked is refused at once ({@link #retryAfterSeconds}).
 * Windows are fixed (a minute, a second) on the injected clock; the per-client counters live in a bounded Caffeine
 * cache, so an attacker rotating addresses costs bounded memory (and meets the global bound). Counted:
 * {@code dbm_api_auth_failures_total{reason}} and {@code dbm_api_auth_throttled_total}.
 */
public final class AuthFailureLimit implements MeterBinder {

    /** Why a token was refused, as the {@code reason} tag. */
    public enum Reason {
        /** No Authorization header: counted, not limited (it costs nothing to check). */
        MISSING,
        /** Not a bearer token, empty or too long. */
        MALFORMED,
        /** Bad signature, unknown key, wrong claims or expired. */
        INVALID,
        /** Valid, but its lifetime exceeds the maximum accepted. */
        LIFETIME;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Client addresses tracked at most; the least recent leave first. */
    static final int MAX_CLIENTS = 100_000;
    private static final long MINUTE_MS = 60_000;
    private static final long SECOND_MS = 1_000;

    private final Clock clock;
    private final int perClient;
    private final int globalPerSecond;
    private final Cache<String, Window> clients;
    private final Window global = new Window();
    private final Map<Reason, LongAdder> failures = new EnumMap<>(Reason.class);
    private final LongAdder throttled = new LongAdder();

    /** Failures counted in one fixed window. */
    private static final class Window {
        private long index = Long.MIN_VALUE;
        private long count;

        synchronized long count(long now) {
            return index == now ? count : 0;
        }

        synchronized void add(long now) {
            if (index != now) {
                index = now;
                count = 0;
            }
            count++;
        }
    }

    public AuthFailureLimit(Clock clock, Ticker ticker, int perClient, int globalPerSecond) {
        if (perClient < 1 || globalPerSecond < 1) {
            throw new IllegalArgumentException("failure bounds must be >= 1 but were " + perClient + " per client and "
                    + globalPerSecond + " global");
        }
        this.clock = clock;
        this.perClient = perClient;
        this.globalPerSecond = globalPerSecond;
        this.clients = Caffeine.newBuilder().maximumSize(MAX_CLIENTS).ticker(ticker)
                .expireAfterWrite(Duration.ofMillis(2 * MINUTE_MS)).build();
        for (Reason reason : Reason.values()) {
            failures.put(reason, new LongAdder());
        }
    }

    /** No practical bound: for tools and tests of the token check alone. */
    public static AuthFailureLimit unlimited(Clock clock, Ticker ticker) {
        return new AuthFailureLimit(clock, ticker, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * Seconds the client must wait when a bound is reached (the token is then refused unchecked, and counted as
     * throttled), or 0 when its token may be checked. {@code client} may be null (no address known).
     */
    public long retryAfterSeconds(String client) {
        long now = clock.millis();
        long retry = 0;
        if (global.count(now / SECOND_MS) >= globalPerSecond) {
            retry = 1;
        }
        Window window = client == null ? null : clients.getIfPresent(client);
        if (window != null && window.count(now / MINUTE_MS) >= perClient) {
            retry = Math.max(retry, (MINUTE_MS - now % MINUTE_MS + 999) / 1000);
        }
        if (retry > 0) {
            throttled.increment();
        }
        return retry;
    }

    /** Counts a refused token; every reason but {@link Reason#MISSING} counts toward both bounds. */
    public void failed(String client, Reason reason) {
        failures.get(reason).increment();
        if (reason == Reason.MISSING) {
            return;
        }
        long now = clock.millis();
        global.add(now / SECOND_MS);
        if (client != null) {
            clients.get(client, c -> new Window()).add(now / MINUTE_MS);
        }
    }

    public long failures(Reason reason) {
        return failures.get(reason).sum();
    }

    public long throttled() {
        return throttled.sum();
    }

    /** Client addresses with a failure counter now (approximately). */
    long trackedClients() {
        clients.cleanUp();
        return clients.estimatedSize();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Reason reason : Reason.values()) {
            FunctionCounter.builder("dbm_api_auth_failures", failures.get(reason), LongAdder::sum)
                    .tag("reason", reason.tag()).register(registry);
        }
        FunctionCounter.builder("dbm_api_auth_throttled", throttled, LongAdder::sum).register(registry);
    }
}
