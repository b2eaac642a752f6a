package com.dbmetrics.api.source;

import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;

/**
 * The instance's one upstream feed: a subscription to the channels the streams-app's mirror publishes on, in the same
 * script call that makes a newer snapshot visible in Redis (schemas/redis-keys.md). Every message goes to the
 * {@link Listener}s in the order they were added (L1, history, live streams), on this feed's own thread.
 *
 * <p>A lost connection is retried (after 0.5 s, doubling to 5 s while it keeps failing); once subscribed again the listeners hear
 * {@link Listener#resubscribed()}, since pub/sub keeps nothing for an absent subscriber. A connection that answers no
 * ping for {@link #DEAD_AFTER_MILLIS} is closed and made again (a half-open TCP connection would otherwise wait
 * forever). An unreadable message is counted and skipped.
 */
public final class SnapshotFeed implements MeterBinder, AutoCloseable {

    /** What the feed tells; called on the feed's thread, one message at a time. */
    public interface Listener {
        void snapshot(MetricsSnapshot snapshot);

        void removed(String databaseId, long eventMillis);

        /** Subscribed again after a lost connection: messages published meanwhile were not received. */
        default void resubscribed() {}
    }

    private static final Logger log = LoggerFactory.getLogger(SnapshotFeed.class);
    public static final long PING_MILLIS = 5_000;
    static final long DEAD_AFTER_MILLIS = 15_000;
    private static final byte[] SNAPSHOTS = RedisKeys.SNAPSHOTS_CHANNEL.getBytes(StandardCharsets.UTF_8);
    private static final byte[] REMOVED = RedisKeys.REMOVED_CHANNEL.getBytes(StandardCharsets.UTF_8);

    private final Supplier<Jedis> connect;
    private final JsonSerde<MetricsSnapshot> snapshots;
    private final ObjectMapper mapper;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final LongAdder messages = new LongAdder();
    private final LongAdder unreadable = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private volatile boolean closed;
    private volatile boolean subscribed;
    private volatile Jedis connection;
    private volatile Subscription subscription;
    private volatile long lastAnswerMillis;

    /** {@code connect} makes a new connection each time (as the API's Redis user: TLS, ACL user and password). */
    public SnapshotFeed(Supplier<Jedis> connect, JsonSerde<MetricsSnapshot> snapshots, ObjectMapper mapper) {
        this.connect = connect;
        this.snapshots = snapshots;
        this.mapper = mapper;
        this.thread = new Thread(this::run, "snapshot-feed");
        thread.setDaemon(true);
    }

    public SnapshotFeed listen(Listener listener) {
        listeners.add(listener);
        return this;
    }

    public SnapshotFeed start() {
        thread.start();
        return this;
    }

    /** Whether the subscription is in place now. */
    public boolean subscribed() {
        return subscribed;
    }

    private void run() {
        long backoff = 500;
        boolean first = true;
        while (!closed) {
            Subscription s = new Subscription(first);
            try (Jedis jedis = connect.get()) {
                connection = jedis;
                subscription = s;
                lastAnswerMillis = System.currentTimeMillis();
                jedis.subscribe(s, SNAPSHOTS, REMOVED); // returns when unsubscribed; throws when the connection breaks
            } catch (RuntimeException e) {
                if (!closed) {
                    log.warn("Live feed from Redis lost ({}); subscribing again", e.toString());
                }
            } finally {
                subscribed = false;
                connection = null;
            }
            if (closed) {
                return;
            }
            first = false;
            reconnects.increment();
            if (s.made) {
                backoff = 500; // it worked until now: retry soon
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(5_000, backoff * 2);
        }
    }

    /**
     * Pings the subscription, and closes a connection that has not answered for {@link #DEAD_AFTER_MILLIS}: called
     * every {@link #PING_MILLIS} by the API's scheduler.
     */
    public void check() {
        Subscription s = subscription;
        Jedis jedis = connection;
        if (s == null || jedis == null || !subscribed) {
            return;
        }
        if (System.currentTimeMillis() - lastAnswerMillis > DEAD_AFTER_MILLIS) {
            log.warn("Live feed from Redis answered no ping for {} ms; reconnecting", DEAD_AFTER_MILLIS);
            try {
                jedis.getConnection().close(); // the subscribe loop fails and the feed subscribes again
            } catch (RuntimeException e) {
                // already broken
            }
            return;
        }
        try {
            s.ping();
        } catch (RuntimeException e) {
            // the subscribe loop sees the broken connection too
        }
    }

    private final class Subscription extends BinaryJedisPubSub {
        private final boolean first;
        private volatile boolean made;

        Subscription(boolean first) {
            this.first = first;
        }

        @Override
        public void onSubscribe(byte[] channel, int subscribedChannels) {
            lastAnswerMillis = System.currentTimeMillis();
            if (subscribedChannels == 2) {
                subscribed = true;
                made = true;
                log.info("Live feed subscribed to {} and {}", RedisKeys.SNAPSHOTS_CHANNEL, RedisKeys.REMOVED_CHANNEL);
                if (!first) {
                    listeners.forEach(Listener::resubscribed);
                }
            }
        }

        @Override
        public void onPong(byte[] pattern) {
            lastAnswerMillis = System.currentTimeMillis();
        }

        @Override
        public void onMessage(byte[] channel, byte[] message) {
            lastAnswerMillis = System.currentTimeMillis();
            messages.increment();
            try {
                if (Arrays.equals(channel, SNAPSHOTS)) {
                    MetricsSnapshot snapshot = snapshots.parse(message);
                    for (Listener l : listeners) {
                        l.snapshot(snapshot);
                    }
                } else if (Arrays.equals(channel, REMOVED)) {
                    JsonNode removal = mapper.readTree(message);
                    String id = removal.path("database_id").asText(null);
                    if (id == null || !removal.path("timestamp").canConvertToLong()) {
                        throw new IOException("removal without database_id or timestamp");
                    }
                    for (Listener l : listeners) {
                        l.removed(id, removal.path("timestamp").asLong());
                    }
                }
            } catch (IOException | RuntimeException e) {
                unreadable.increment();
                log.warn("Skipping unreadable live-feed message on {}: {}", new String(channel,
                        StandardCharsets.UTF_8), e.toString());
            }
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_feed_messages", messages, LongAdder::sum)
                .description("Messages received on the live feed").register(registry);
        FunctionCounter.builder("dbm_api_feed_unreadable", unreadable, LongAdder::sum)
                .description("Live-feed messages skipped as unreadable").register(registry);
        FunctionCounter.builder("dbm_api_feed_reconnects", reconnects, LongAdder::sum)
                .description("Times the live-feed subscription was lost and made again").register(registry);
        Gauge.builder("dbm_api_feed_subscribed", this, f -> f.subscribed ? 1 : 0)
                .description("1 while the live-feed subscription is in place").register(registry);
    }

    /** Unsubscribes and stops the thread (waits up to 2 s). */
    @Override
    public void close() {
        closed = true;
        Subscription s = subscription;
        try {
            if (s != null && s.isSubscribed()) {
                s.unsubscribe();
            }
        } catch (RuntimeException e) {
            // the connection is gone already
        }
        Jedis jedis = connection;
        if (jedis != null) {
            try {
                jedis.getConnection().close();
            } catch (RuntimeException e) {
                // closing
            }
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
