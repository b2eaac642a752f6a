package com.dbmetrics.bench;

import com.dbmetrics.api.auth.TokenMinter;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;

/**
 * The live side under load ({@code ./dbm bench live}).
 *
 * <p>{@code streams}: opens N server-sent-event streams of one project on one API instance (non-blocking sockets, one
 * selector thread, one token per ten streams), subscribes itself to the feed channel as the clock of visibility (a
 * message there is published by the same script call that makes the snapshot visible in Redis), and for every event a
 * stream receives records receive time − the time this program saw the snapshot published. Reports the delivery
 * latency over all streams and events, the events expected (published during the window × streams) against those
 * received, the streams the server closed, and the bytes a stream received per minute.
 *
 * <p>{@code ages}: reads one database at a fixed rate from a pool of threads and records each answer's data age (now −
 * its {@code timestamp}), for the same instance with the feed on and off.
 */
public final class LiveBench {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** How an event's data line starts: the database id comes first in the rendered snapshot. */
    private static final String DATA_PREFIX = "data: {\"database_id\":\"";
    /** Characters of a line kept: the data prefix and a database id (at most 128) fit. */
    private static final int LINE_KEPT = 160;

    private LiveBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        switch (args[0]) {
            case "streams" -> streams(opts);
            case "ages" -> ages(opts);
            default -> throw new IllegalArgumentException("mode: streams | ages");
        }
    }

    private static TokenMinter minter(Map<String, String> opts) throws IOException {
        return new TokenMinter(Files.readString(Path.of(opts.get("secret-file"))).trim(), null, null,
                Clock.systemUTC());
    }

    /** One stream's connection: its socket, the bytes of a line not yet complete, the id of the event being read. */
    private static final class Conn {
        final SocketChannel channel;
        final byte[] request;
        final StringBuilder line = new StringBuilder();
        /** The response head and the chunk size lines: the stream's bytes come in chunks (HTTP/1.1 chunked). */
        final StringBuilder framing = new StringBuilder();
        int chunkLeft;
        boolean refused;
        String id;
        boolean headersDone;
        long bytes;
        boolean closed;

        Conn(SocketChannel channel, byte[] request) {
            this.channel = channel;
            this.request = request;
        }
    }

    private static void streams(Map<String, String> opts) throws Exception {
        URI api = URI.create(opts.get("url"));
        int n = Integer.parseInt(opts.getOrDefault("streams", "10000"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "60"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "10"));
        String fields = opts.getOrDefault("fields", "");
        TokenMinter minter = minter(opts);

        // the clock of visibility: when each snapshot of the project was published (same call that writes it to Redis)
        Map<String, Long> visibleAt = new ConcurrentHashMap<>();
        String[] project = opts.getOrDefault("project", "acme/shop").split("/");
        Jedis feed = BenchClients.single(BenchClients.redis(opts.get("redis-url")), "bench-live");
        BinaryJedisPubSub sub = new BinaryJedisPubSub() {
            @Override
            public void onMessage(byte[] channel, byte[] message) {
                long now = System.nanoTime();
                try {
                    JsonNode s = MAPPER.readTree(message);
                    if (!project[0].equals(s.path("domain").asText()) || !project[1].equals(s.path("project").asText())) {
                        return; // another project's: not on these streams
                    }
                    visibleAt.putIfAbsent(s.path("database_id").asText() + '@'
                            + Instant.parse(s.path("timestamp").asText()).toEpochMilli(), now);
                } catch (IOException e) {
                    // not a snapshot: ignored
                }
            }
        };
        Thread feedThread = new Thread(() -> feed.subscribe(sub,
                RedisKeys.SNAPSHOTS_CHANNEL.getBytes(StandardCharsets.UTF_8)), "feed");
        feedThread.setDaemon(true);
        feedThread.start();

        String path = "/api/v1/domain/" + project[0] + "/project/" + project[1] + "/databases/stream"
                + (fields.isEmpty() ? "" : "?fields=" + fields);
        Selector selector = Selector.open();
        List<Conn> conns = new ArrayList<>(n);
        Map<String, List<Long>> received = new HashMap<>();
        AtomicLong events = new AtomicLong();
        long started = System.nanoTime();
        long measureFrom = Long.MAX_VALUE;
        long measureTo = Long.MAX_VALUE;
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
        String apiPid = opts.get("api-pid");
        long[] cpuFrom = null;
        long[] cpuTo = null;
        int attempts = 0;
        int toOpen = n;
        int live = 0;
        int failures = 0;
        int refused = 0;
        String run = Long.toString(System.currentTimeMillis(), 36); // users of their own: no earlier run's streams count
        long lastBatch = 0;
        while (true) {
            long now = System.nanoTime();
            // 1,000 opens a second, as dashboards arriving; a refused one (a 503 of a busy instance) retries later
            if (toOpen > 0 && now - lastBatch >= TimeUnit.MILLISECONDS.toNanos(100)) {
                for (int i = 0; i < 100 && toOpen > 0; i++, toOpen--, attempts++) {
                    String token = minter.mint("live-bench-" + run + "-" + (attempts / 10),
                            List.of(project[0] + "/" + project[1]), false, Duration.ofHours(2));
                    SocketChannel ch = SocketChannel.open();
                    ch.configureBlocking(false);
                    boolean connected = ch.connect(new InetSocketAddress(api.getHost(), api.getPort()));
                    Conn c = new Conn(ch, ("GET " + path + " HTTP/1.1\r\nHost: " + api.getHost()
                            + "\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + token + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    if (connected) { // loopback may connect at once: then no OP_CONNECT will come
                        ch.write(ByteBuffer.wrap(c.request));
                        ch.register(selector, SelectionKey.OP_READ, c);
                    } else {
                        ch.register(selector, SelectionKey.OP_CONNECT, c);
                    }
                    conns.add(c);
                }
                lastBatch = now;
            }
            if (cpuFrom == null && measureFrom != Long.MAX_VALUE && now >= measureFrom) {
                cpuFrom = cpuTicks(apiPid);
            }
            if (cpuTo == null && measureTo != Long.MAX_VALUE && now >= measureTo) {
                cpuTo = cpuTicks(apiPid);
            }
            if (measureTo == Long.MAX_VALUE && (live == n || now - started > TimeUnit.MINUTES.toNanos(3))) {
                measureFrom = now + TimeUnit.SECONDS.toNanos(warmup);
                measureTo = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
                System.err.printf("%d streams open after %.1f s (%d refusals retried); measuring for %d s after %d s%n",
                        live, (now - started) / 1e9, refused, seconds, warmup);
            }
            if (measureTo != Long.MAX_VALUE && now > measureTo + TimeUnit.SECONDS.toNanos(2)) {
                break;
            }
            selector.select(50);
            for (SelectionKey key : selector.selectedKeys()) {
                Conn c = (Conn) key.attachment();
                try {
                    if (key.isConnectable()) {
                        c.channel.finishConnect();
                        c.channel.write(ByteBuffer.wrap(c.request));
                        key.interestOps(SelectionKey.OP_READ);
                    } else if (key.isReadable()) {
                        buffer.clear();
                        int r = c.channel.read(buffer);
                        if (r < 0) {
                            c.closed = true;
                            key.cancel();
                            c.channel.close();
                            continue;
                        }
                        long t = System.nanoTime();
                        c.bytes += r;
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            char ch = (char) buffer.get();
                            if (c.headersDone && c.chunkLeft > 0) { // a byte of the event stream itself
                                c.chunkLeft--;
                                if (ch != '\n') {
                                    if (c.line.length() < LINE_KEPT) { // the id line, or a data line's database id
                                        c.line.append(ch);
                                    }
                                } else {
                                    String line = c.line.toString();
                                    c.line.setLength(0);
                                    if (line.startsWith("id: ")) {
                                        c.id = line.substring(4).trim();
                                    } else if (line.startsWith(DATA_PREFIX) && c.id != null) {
                                        int end = line.indexOf('"', DATA_PREFIX.length());
                                        String eventKey = line.substring(DATA_PREFIX.length(), end) + '@' + c.id;
                                        events.incrementAndGet();
                                        received.computeIfAbsent(eventKey, k -> new ArrayList<>()).add(t);
                                        c.id = null;
                                    }
                                }
                                continue;
                            }
                            // the response head, or the chunked encoding's framing (size lines and CRLFs)
                            if (ch != '\n') {
                                c.framing.append(ch);
                                continue;
                            }
                            String framing = c.framing.toString().trim();
                            c.framing.setLength(0);
                            if (!c.headersDone && framing.startsWith("HTTP/1.1 ")) {
                                if (framing.startsWith("HTTP/1.1 200")) {
                                    live++;
                                } else {
                                    if (refused++ < 3) {
                                        System.err.println("a stream was refused (retried): " + framing);
                                    }
                                    c.refused = true;
                                    toOpen++;
                                    key.cancel();
                                    c.channel.close();
                                    break;
                                }
                            } else if (!c.headersDone) {
                                c.headersDone = framing.isEmpty();
                            } else if (!framing.isEmpty()) {
                                c.chunkLeft = Integer.parseInt(framing.split(";")[0], 16);
                            }
                        }
                    }
                } catch (IOException e) {
                    if (failures++ < 3) {
                        System.err.println("a stream's connection failed: " + e);
                    }
                    c.closed = true;
                    key.cancel();
                    c.channel.close();
                }
            }
            selector.selectedKeys().clear();
        }
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        long expected = 0;
        long got = 0;
        long published = 0;
        int open = 0;
        long bytes = 0;
        for (Conn c : conns) {
            open += c.closed || c.refused ? 0 : 1;
            bytes += c.refused ? 0 : c.bytes;
        }
        for (Map.Entry<String, Long> v : visibleAt.entrySet()) {
            long at = v.getValue();
            if (at < measureFrom || at > measureTo) {
                continue;
            }
            published++;
            expected += live;
            List<Long> times = received.getOrDefault(v.getKey(), List.of());
            if (System.getenv("LIVE_DEBUG") != null) {
                System.err.println(v.getKey() + " received by " + times.size() + " at +"
                        + (at - measureFrom) / 1_000_000 + " ms");
            }
            got += times.size();
            for (long t : times) {
                latency.recordValue(Math.max(0, t - at));
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        System.err.println("events parsed: " + events.get());
        double hz = 100; // USER_HZ: /proc reports clock ticks of 1/100 s on Linux
        double userS = cpuFrom == null || cpuTo == null ? -1 : (cpuTo[0] - cpuFrom[0]) / hz;
        double sysS = cpuFrom == null || cpuTo == null ? -1 : (cpuTo[1] - cpuFrom[1]) / hz;
        System.out.printf("result window_user_s=%.2f window_sys_s=%.2f streams=%d refused_retried=%d open_at_end=%d published=%d expected=%d received=%d missing=%d "
                        + "p50_ms=%.1f p99_ms=%.1f p999_ms=%.1f max_ms=%.1f bytes_per_stream_per_min=%.0f%n",
                userS, sysS, live, refused, open, published, expected, got, expected - got, latency.getValueAtPercentile(50) / 1e6,
                latency.getValueAtPercentile(99) / 1e6, latency.getValueAtPercentile(99.9) / 1e6,
                latency.getMaxValue() / 1e6, bytes / (double) Math.max(1, live) / minutes);
        for (Conn c : conns) {
            c.channel.close();
        }
        sub.unsubscribe();
        System.exit(0);
    }

    /** utime and stime of a process, in clock ticks; zeros when no pid is given. */
    private static long[] cpuTicks(String pid) {
        if (pid == null) {
            return new long[2];
        }
        try {
            String[] f = Files.readString(Path.of("/proc", pid, "stat")).split("\\) ", 2)[1].split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException e) {
            return new long[2];
        }
    }

    private static void ages(Map<String, String> opts) throws Exception {
        String url = opts.get("url") + "/api/v1/domain/acme/project/shop/databases/" + opts.getOrDefault("db",
                "pg-demo-1") + "/metrics";
        int rate = Integer.parseInt(opts.getOrDefault("rate", "200"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "60"));
        int users = Integer.parseInt(opts.getOrDefault("users", "200"));
        TokenMinter minter = minter(opts);
        String[] tokens = new String[users];
        for (int i = 0; i < users; i++) {
            tokens[i] = minter.mint("age-bench-" + i, List.of("acme/shop"), false, Duration.ofHours(1));
        }
        HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build();
        Histogram ages = new Histogram(TimeUnit.MINUTES.toMillis(10), 3);
        AtomicLong errors = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long total = (long) rate * seconds;
        for (long i = 0; i < total; i++) {
            long due = start + i * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String token = tokens[(int) (i % users)];
            pool.execute(() -> {
                try {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url))
                            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
                    long now = System.currentTimeMillis();
                    if (r.statusCode() != 200) {
                        errors.incrementAndGet();
                        return;
                    }
                    long ts = Instant.parse(MAPPER.readTree(r.body()).path("timestamp").asText()).toEpochMilli();
                    synchronized (ages) {
                        ages.recordValue(Math.max(0, now - ts));
                    }
                } catch (IOException | RuntimeException e) {
                    errors.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        System.out.printf("result reads=%d errors=%d age_p50_ms=%d age_p99_ms=%d age_max_ms=%d%n",
                ages.getTotalCount(), errors.get(), ages.getValueAtPercentile(50), ages.getValueAtPercentile(99),
                ages.getMaxValue());
        System.exit(0);
    }
}
