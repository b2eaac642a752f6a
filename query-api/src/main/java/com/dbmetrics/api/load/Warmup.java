package com.dbmetrics.api.load;

import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.auth.TokenMinter;
import com.dbmetrics.api.source.SnapshotFeed;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms a starting instance before it reports ready: {@code /readyz} answers 503 until it is done. A fresh JVM
 * interprets its code and compiles it while it runs; offered real traffic at once it answered a few hundred reads a
 * second, and its overload guard refused the rest (BENCHMARKS.md, sections 9 and 10; RELIABILITY.md, settling). So
 * the instance first reads from itself, over its own API port, through everything a request passes (Jetty, the
 * overload guard, authentication, the rate limits, L1, Redis, the streams-app, rendering), as many distinct users:
 * the databases the live feed announces (their metrics, their projects' listings, a Prometheus-style instant query)
 * and an unknown one. It waits for the feed's first snapshot at most half of {@code maxTime} (a running system
 * publishes every database once per poll interval), then a second for the rest of that tick; a system with nothing
 * announced by then is warmed on the unknown database alone. Its users' tokens are signed with a key only this process
 * knows, accepted only while the warm-up is open ({@link JwtAuthenticator#openWarmup}); they read like any user and
 * spend rate limits like any user, under subjects starting with {@value JwtAuthenticator#WARMUP_SUBJECT}.
 *
 * <p>It ends after {@code requests} answers or {@code maxTime}, whichever comes first (the instance is ready then
 * either way: warm-up makes it fast, it is not a health check), or at once when {@code requests} is 0.
 */
public final class Warmup implements SnapshotFeed.Listener, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    /** Requests in flight at once: enough to run every path concurrently, as traffic does. */
    static final int CONCURRENCY = 8;
    /**
     * Distinct users: each reads twice, so a user's first read (its token verified, a lease round trip) runs as often
     * as a later one, and often enough to be compiled: with 100,000 users nearly every read is a user's first.
     */
    static final int USERS = 10_000;
    /** Databases read at most (the first the feed announced). */
    static final int MAX_DATABASES = 32;
    /** How long to keep listening after the first snapshot, for the rest of its tick. */
    static final Duration GATHER = Duration.ofSeconds(1);
    /**
     * Every this many requests one reads an unknown database: its reads reach the streams-app, so they spend the
     * per-database limit (1,000 a minute by default) and stay under it.
     */
    static final int UNKNOWN_EVERY = 50;
    private static final String NOWHERE = "dbm-warmup/none";

    private final int requests;
    private final Duration maxTime;
    private final Map<String, MetricsSnapshot> databases = new ConcurrentHashMap<>();
    private final CountDownLatch announced = new CountDownLatch(1);
    private final AtomicLong next = new AtomicLong();
    private final LongAdder answered = new LongAdder();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private volatile boolean done;

    public Warmup(int requests, Duration maxTime) {
        if (requests < 0 || maxTime == null || maxTime.isNegative()) {
            throw new IllegalArgumentException("need requests >= 0 and maxTime >= 0");
        }
        this.requests = requests;
        this.maxTime = maxTime;
        this.done = requests == 0;
    }

    /** Whether the warm-up has ended (or never had anything to do). */
    public boolean done() {
        return done;
    }

    /** Ends a warm-up under way early (the instance is closing): no further requests are sent. */
    public void stop() {
        done = true;
    }

    @Override
    public void snapshot(MetricsSnapshot snapshot) {
        if (!done && databases.size() < MAX_DATABASES) {
            databases.putIfAbsent(snapshot.databaseId(), snapshot);
            announced.countDown();
        }
    }

    @Override
    public void removed(String databaseId, long eventMillis) {
        databases.remove(databaseId);
    }

    /**
     * Starts warming through {@code api} (the instance's own API port) on a thread of its own, with tokens of
     * {@code authenticator}'s warm-up; returns at once. Does nothing when there is nothing to do.
     */
    public void start(InetSocketAddress api, JwtAuthenticator authenticator) {
        if (done) {
            return;
        }
        Thread thread = new Thread(() -> run(api, authenticator), "warmup");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(InetSocketAddress api, JwtAuthenticator authenticator) {
        long started = System.nanoTime();
        TokenMinter minter = authenticator.openWarmup();
        try {
            if (announced.await(maxTime.toMillis() / 2, TimeUnit.MILLISECONDS)) {
                Thread.sleep(GATHER.toMillis()); // the other databases of the same tick arrive right after the first
            }
            List<String> paths = paths();
            String unknown = unknownPath();
            List<String> tenants = tenants();
            String[] tokens = new String[USERS];
            long deadline = started + maxTime.toNanos();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < CONCURRENCY; w++) {
                Thread worker = new Thread(() -> {
                    Connection connection = new Connection(api);
                    try {
                        for (long i = next.getAndIncrement(); i < requests && System.nanoTime() < deadline && !done;
                                i = next.getAndIncrement()) {
                            int user = (int) (i % USERS);
                            String token = tokens[user];
                            if (token == null) {
                                token = minter.mint(JwtAuthenticator.WARMUP_SUBJECT + user, tenants, false,
                                        maxTime.plusMinutes(1));
                                tokens[user] = token; // a race mints one twice: both are valid
                            }
                            int status = connection.get(i % UNKNOWN_EVERY == UNKNOWN_EVERY - 1 ? unknown
                                    : paths.get((int) (i % paths.size())), token);
                            statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
                            answered.increment();
                        }
                    } catch (RuntimeException e) {
                        log.warn("A warm-up thread ended early: {}", e.toString());
                    } finally {
                        connection.close();
                    }
                }, "warmup-" + w);
                worker.setDaemon(true);
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Warm-up ended early: {}", e.toString());
        } finally {
            authenticator.closeWarmup();
            done = true;
            log.info("Warmed up: {} requests in {} ms over {} databases, answers by status {}; ready", answered.sum(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), databases.size(), statuses);
        }
    }

    /** What the warm-up reads, in turn: each known database's metrics (most of it), its listing, PromQL. */
    private List<String> paths() {
        List<String> paths = new ArrayList<>();
        for (MetricsSnapshot s : databases.values()) {
            String project = "/api/v1/domain/" + encode(s.domain()) + "/project/" + encode(s.project());
            for (int n = 0; n < 6; n++) {
                paths.add(project + "/databases/" + encode(s.databaseId()) + "/metrics");
            }
            paths.add(project + "/databases");
            paths.add("/prometheus/api/v1/query?query=" + encode("dbmetrics_connections{project=\"" + s.project()
                    + "\"}"));
        }
        if (paths.isEmpty()) {
            paths.add(unknownPath()); // nothing announced (a new system, or no feed): the unknown database only
        }
        return paths;
    }

    /** A database nobody has: the answer a mistyped id gets (404, or 503 without a streams-app). */
    private static String unknownPath() {
        String[] nowhere = NOWHERE.split("/");
        return "/api/v1/domain/" + nowhere[0] + "/project/" + nowhere[1] + "/databases/none/metrics";
    }

    private List<String> tenants() {
        List<String> tenants = new ArrayList<>(List.of(NOWHERE));
        databases.values().stream().map(s -> s.domain() + "/" + s.project()).distinct().forEach(tenants::add);
        return tenants;
    }

    private static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * One keep-alive HTTP/1.1 connection to the instance's own port, as a dashboard's: a request is written, its answer
     * read in full (Content-Length or chunked) and dropped. Much less work per request than a general client, so the
     * warm-up's CPU goes to the server's code. Any failure closes the connection (the next request opens another) and
     * counts as status 0. Blocking, one thread per connection: the benchmarks' {@code HttpConnection} parses the same
     * framing without blocking, as an open-loop generator must, and is not part of the product.
     */
    static final class Connection {
        private static final int TIMEOUT_MILLIS = 2_000;
        private final InetSocketAddress api;
        /** The {@code Host} header: the address as a URL names it (an IPv6 literal in brackets) and the port. */
        private final String host;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Connection(InetSocketAddress api) {
            this.api = api;
            String literal = api.getAddress().getHostAddress();
            this.host = (literal.contains(":") ? "[" + literal + "]" : literal) + ":" + api.getPort();
        }

        /** GETs {@code path} with {@code token}; the answer's status, 0 when there was none. */
        int get(String path, String token) {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(api, TIMEOUT_MILLIS);
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    socket.setTcpNoDelay(true);
                    in = new BufferedInputStream(socket.getInputStream());
                    out = socket.getOutputStream();
                }
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return readAnswer();
            } catch (IOException | RuntimeException e) {
                close();
                return 0;
            }
        }

        private int readAnswer() throws IOException {
            String statusLine = line();
            int status = Integer.parseInt(statusLine.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            boolean closes = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    closes = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                        size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                closes = true; // read to the end: nothing else says where the body ends
                while (in.read() >= 0) {
                    // drained
                }
            }
            if (closes) {
                close();
            }
            return status;
        }

        private void skip(long n) throws IOException {
            for (long left = n; left > 0; ) {
                long skipped = in.skip(left);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        throw new EOFException("answer ended early");
                    }
                    skipped = 1;
                }
                left -= skipped;
            }
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new EOFException("connection closed");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                socket = null;
            }
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dbm_api_warming_up", this, w -> w.done ? 0 : 1)
                .description("1 while the instance warms up (its /readyz answers 503 until then)").register(registry);
        FunctionCounter.builder("dbm_api_warmup_requests", answered, LongAdder::sum)
                .description("Requests the instance sent itself while warming up (also in the request counts)")
                .register(registry);
    }
}
