package com.dbmetrics.api.live;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.service.SnapshotRenderer;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.api.source.Lookup;
import com.dbmetrics.api.source.SnapshotFeed;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every live stream of this instance, and the fan-out of the one upstream feed to them: each snapshot the feed brings
 * is rendered once per distinct {@code ?fields=} and queued on the streams of its database and of its project; writer
 * threads then write each stream's queue, all of it in one write, so the snapshots that arrive while a stream waits
 * for its writer share that write (a slow stream's full queue closes that stream, never delays the others; writes
 * never block). Holds the limits: streams per user and per instance; a stream asked past them is refused before it
 * opens.
 */
public final class StreamHub implements SnapshotFeed.Listener, MeterBinder, AutoCloseable {

    /** Why a stream was refused before it opened. */
    public enum Refusal {
        USER, INSTANCE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final SnapshotRenderer renderer;
    private final ObjectMapper mapper;
    private final ApiConfig.Live settings;
    private final Map<String, Set<LiveStream>> byDatabase = new ConcurrentHashMap<>();
    private final Map<String, Set<LiveStream>> byProject = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
    /** database id → {@code domain/project}, from every snapshot seen: where a removal goes. */
    private final Map<String, String> projectOf = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder opened = new LongAdder();
    private final LongAdder eventsSent = new LongAdder();
    private final Map<LiveStream.End, LongAdder> ended = new EnumMap<>(LiveStream.End.class);
    private final Map<Refusal, LongAdder> refused = new EnumMap<>(Refusal.class);
    private final LongAdder feedOverflow = new LongAdder();
    private volatile Timer fanOutTimer;
    /** Feed changes waiting for the fan-out, at most {@link #MAX_PENDING_CHANGES}. */
    private final BlockingQueue<Object> changes = new LinkedBlockingQueue<>(MAX_PENDING_CHANGES);
    private final Thread fanOut = new Thread(this::fanOut, "stream-fan-out");
    /**
     * Streams with frames queued, each once until its writer takes it, in the order the fan-out queued them; and after
     * each batch's streams, its {@link BatchQueued} (the fan-out timer's end mark).
     */
    private final Queue<Object> ready = new ConcurrentLinkedQueue<>();
    /** Where idle writers wait; the fan-out wakes them once per {@link #WAKE_EVERY} streams it queues, not for each. */
    private final Object writersIdle = new Object();
    private int idleWriters; // guarded by writersIdle
    private final List<Thread> writers = new ArrayList<>();

    private static final Logger log = LoggerFactory.getLogger(StreamHub.class);
    /** How long the fan-out waits after a first change for the rest of its tick. */
    static final long LINGER_MILLIS = 5;
    static final int MAX_PENDING_CHANGES = 100_000;
    /** Threads writing to the streams, one per core: a write is a system call on each stream's socket. */
    static final int WRITERS = Math.max(1, Runtime.getRuntime().availableProcessors());
    static final int WAKE_EVERY = 128;

    public StreamHub(SnapshotRenderer renderer, ApiConfig.Live settings) {
        this.renderer = renderer;
        this.mapper = renderer.mapper();
        this.settings = settings;
        for (LiveStream.End e : LiveStream.End.values()) {
            ended.put(e, new LongAdder());
        }
        for (Refusal r : Refusal.values()) {
            refused.put(r, new LongAdder());
        }
        fanOut.setDaemon(true);
        fanOut.start();
        for (int i = 0; i < WRITERS; i++) {
            Thread writer = new Thread(this::write, "stream-writer");
            writer.setDaemon(true);
            writer.start();
            writers.add(writer);
        }
    }

    /** Stops the fan-out and its writers (the streams themselves end with {@link #closeAll()}). */
    @Override
    public void close() {
        fanOut.interrupt();
        writers.forEach(Thread::interrupt);
    }

    /** Takes a place for one more stream of {@code user}; null when taken, else which limit refused it. */
    public Refusal reserve(String user) {
        if (open.incrementAndGet() > settings.maxStreams()) {
            open.decrementAndGet();
            refused.get(Refusal.INSTANCE).increment();
            return Refusal.INSTANCE;
        }
        AtomicInteger mine = perUser.computeIfAbsent(user, u -> new AtomicInteger());
        if (mine.incrementAndGet() > settings.streamsPerUser()) {
            release(user);
            refused.get(Refusal.USER).increment();
            return Refusal.USER;
        }
        return null;
    }

    /** Gives back a place {@link #reserve}d for a stream that did not open. */
    public void release(String user) {
        open.decrementAndGet();
        perUser.computeIfPresent(user, (u, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /**
     * Opens a reserved stream on the request's connection: registered with the fan-out first, then given its first
     * snapshots ({@code first}, oldest first; their origin says whether one is a stale copy), so nothing the feed
     * brings meanwhile is lost.
     */
    public LiveStream open(String user, String databaseId, String domain, String project, String fieldsParam,
            Set<Metric> fields, List<Lookup.Found> first, AsyncContext async, ServletOutputStream out) {
        String projectKey = databaseId == null ? domain + '/' + project : null;
        LiveStream stream = new LiveStream(this, user, databaseId, projectKey, fieldsParam == null ? "" : fieldsParam,
                fields, settings.streamBuffer());
        stream.attach(async, out);
        (databaseId != null ? byDatabase.computeIfAbsent(databaseId, k -> ConcurrentHashMap.newKeySet())
                : byProject.computeIfAbsent(projectKey, k -> ConcurrentHashMap.newKeySet())).add(stream);
        opened.increment();
        List<LiveStream.Frame> frames = new ArrayList<>(first.size());
        for (Lookup.Found found : first) {
            projectOf.put(found.snapshot().databaseId(), key(found.snapshot()));
            frames.add(frame(found.snapshot(), fields, found.origin()));
        }
        stream.start(frames);
        return stream;
    }

    /** Called once by a stream that ended. */
    void ended(LiveStream stream, LiveStream.End reason) {
        Set<LiveStream> set = stream.databaseId != null ? byDatabase.get(stream.databaseId)
                : byProject.get(stream.projectKey);
        if (set != null) {
            set.remove(stream);
        }
        release(stream.user);
        ended.get(reason).increment();
    }

    void sent(int frames) {
        if (frames > 0) {
            eventsSent.add(frames);
        }
    }

    @Override
    public void snapshot(MetricsSnapshot snapshot) {
        String key = key(snapshot);
        projectOf.put(snapshot.databaseId(), key);
        if (!watched(byDatabase.get(snapshot.databaseId())) && !watched(byProject.get(key))) {
            return; // nobody streams it: the common case, decided on the feed's thread at no cost
        }
        enqueue(snapshot);
    }

    @Override
    public void removed(String databaseId, long eventMillis) {
        String key = projectOf.remove(databaseId);
        if (watched(byDatabase.get(databaseId)) || (key != null && watched(byProject.get(key)))) {
            enqueue(new Removal(databaseId, key, eventMillis));
        }
    }

    private static boolean watched(Set<LiveStream> set) {
        return set != null && !set.isEmpty();
    }

    /** A removed database, for the fan-out: {@code projectKey} is where its project's streams are (null: unknown). */
    private record Removal(String databaseId, String projectKey, long eventMillis) {}

    private void enqueue(Object change) {
        if (!changes.offer(change)) {
            feedOverflow.increment(); // the fan-out is this far behind: the streams miss it, reconnecting resumes
        }
    }

    /** Where a batch's streams end in {@link #ready}: the writer that takes it records the batch's fan-out time. */
    private record BatchQueued(long startNanos) {}

    /**
     * The fan-out thread: takes what the feed brought, waits {@link #LINGER_MILLIS} for the rest of a tick (a tick's
     * snapshots reach Redis within some tens of milliseconds), hands each stream its frames of the batch, and the
     * stream to the writers unless it already waits for one: the streams not yet written when the next batch comes get
     * its frames in the same write. Each frame is rendered once per distinct {@code ?fields=}. A stream's frames are
     * handed over in the order the feed brought them, by this one thread.
     */
    private void fanOut() {
        List<Object> batch = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                batch.add(changes.take());
                Thread.sleep(LINGER_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            changes.drainTo(batch);
            long start = System.nanoTime();
            try {
                deliver(batch);
            } catch (RuntimeException e) {
                log.error("Fan-out of {} live-feed changes failed", batch.size(), e);
            }
            ready.add(new BatchQueued(start));
            wakeWriters();
            batch.clear();
        }
    }

    /**
     * A writer thread: writes each ready stream's queue. A stream that gets more frames while it waits here writes them
     * in the same call; one that gets them after its writer took it comes back to the end of the line.
     */
    private void write() {
        while (!Thread.currentThread().isInterrupted()) {
            Object next = ready.poll();
            if (next == null) {
                try {
                    next = awaitReady();
                } catch (InterruptedException e) {
                    return;
                }
            }
            try {
                if (next instanceof LiveStream stream) {
                    stream.writeQueued();
                } else if (next instanceof BatchQueued queued) {
                    Timer timer = fanOutTimer;
                    if (timer != null) {
                        timer.record(System.nanoTime() - queued.startNanos(), TimeUnit.NANOSECONDS);
                    }
                }
            } catch (RuntimeException e) {
                log.error("Writing to a live stream failed", e);
            }
        }
    }

    private Object awaitReady() throws InterruptedException {
        synchronized (writersIdle) {
            Object next;
            while ((next = ready.poll()) == null) {
                idleWriters++;
                try {
                    writersIdle.wait();
                } finally {
                    idleWriters--;
                }
            }
            return next;
        }
    }

    /** Wakes the idle writers, if any: a handful of system calls per batch instead of one per stream. */
    private void wakeWriters() {
        synchronized (writersIdle) {
            if (idleWriters > 0) {
                writersIdle.notifyAll();
            }
        }
    }

    private void deliver(List<Object> batch) {
        int queued = 0;
        for (Object change : batch) {
            if (change instanceof MetricsSnapshot snapshot) {
                Map<String, LiveStream.Frame> rendered = new HashMap<>(4);
                for (Set<LiveStream> set : List.of(byDatabase.getOrDefault(snapshot.databaseId(), Set.of()),
                        byProject.getOrDefault(key(snapshot), Set.of()))) {
                    for (LiveStream s : set) {
                        queued = hand(s, rendered.computeIfAbsent(s.fieldsKey, k -> frame(snapshot, s.fields,
                                Layer.L2)), queued);
                    }
                }
            } else if (change instanceof Removal removal) {
                LiveStream.Frame frame = removalFrame(removal.databaseId(), removal.eventMillis());
                for (Set<LiveStream> set : List.of(byDatabase.getOrDefault(removal.databaseId(), Set.of()),
                        removal.projectKey() == null ? Set.<LiveStream>of()
                                : byProject.getOrDefault(removal.projectKey(), Set.of()))) {
                    for (LiveStream s : set) {
                        queued = hand(s, frame, queued);
                    }
                }
            }
        }
    }

    /** Hands a frame to a stream, and the stream to the writers unless it already waits for one; the count queued. */
    private int hand(LiveStream stream, LiveStream.Frame frame, int queued) {
        if (!stream.offer(frame)) {
            return queued;
        }
        ready.add(stream);
        if (queued % WAKE_EVERY == 0) {
            wakeWriters();
        }
        return queued + 1;
    }

    private static LiveStream.Frame removalFrame(String databaseId, long eventMillis) {
        return new LiveStream.Frame(databaseId, eventMillis, ("id: " + eventMillis
                + "\nevent: removed\ndata: {\"database_id\":\""
                + new String(JsonStringEncoder.getInstance().quoteAsString(databaseId)) + "\"}\n\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * How often {@link #heartbeat} is to be called, and how long a stream may be idle before it gets one: half of
     * {@code API_STREAM_HEARTBEAT}, so that no stream goes longer than that without a write.
     */
    public java.time.Duration heartbeatEvery() {
        return java.time.Duration.ofMillis(Math.max(1, settings.heartbeat().toMillis() / 2));
    }

    /**
     * Sends a heartbeat comment to every stream idle for {@link #heartbeatEvery}: called that often. Streams that get
     * snapshots more often get no heartbeats (at 10,000 streams, heartbeats to all of them at once were a burst of
     * 10,000 writes).
     */
    public void heartbeat() {
        long now = System.nanoTime();
        long idle = heartbeatEvery().toNanos();
        forEach(s -> s.heartbeat(now, idle));
    }

    /** Ends every stream with a last {@code shutdown} event: the first step of stopping the server. */
    public void closeAll() {
        forEach(s -> s.close(LiveStream.End.SHUTDOWN));
    }

    private void forEach(java.util.function.Consumer<LiveStream> action) {
        for (Map<String, Set<LiveStream>> map : List.of(byDatabase, byProject)) {
            for (Set<LiveStream> set : map.values()) {
                for (LiveStream s : set) {
                    action.accept(s);
                }
            }
        }
    }

    /** Streams open now. */
    public int open() {
        return open.get();
    }

    private LiveStream.Frame frame(MetricsSnapshot snapshot, Set<Metric> fields, Layer origin) {
        long millis = snapshot.timestamp().toEpochMilli();
        try {
            byte[] json = mapper.writeValueAsBytes(renderer.render(snapshot, fields, origin));
            byte[] head = ("id: " + millis + "\nevent: snapshot\ndata: ").getBytes(StandardCharsets.US_ASCII);
            byte[] bytes = new byte[head.length + json.length + 2];
            System.arraycopy(head, 0, bytes, 0, head.length);
            System.arraycopy(json, 0, bytes, head.length, json.length);
            bytes[bytes.length - 2] = '\n';
            bytes[bytes.length - 1] = '\n';
            return new LiveStream.Frame(snapshot.databaseId(), millis, bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render snapshot of " + snapshot.databaseId(), e);
        }
    }

    private static String key(MetricsSnapshot snapshot) {
        return snapshot.domain() + '/' + snapshot.project();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dbm_api_streams_open", open, AtomicInteger::get)
                .description("Server-sent event streams open on this instance").register(registry);
        FunctionCounter.builder("dbm_api_streams_opened", opened, LongAdder::sum)
                .description("Streams opened").register(registry);
        FunctionCounter.builder("dbm_api_stream_events_sent", eventsSent, LongAdder::sum)
                .description("Snapshot and removal events written to streams").register(registry);
        ended.forEach((reason, count) -> FunctionCounter.builder("dbm_api_streams_closed", count, LongAdder::sum)
                .tag("reason", reason.label())
                .description("Streams ended: client_gone, slow (its buffer filled: dropped), shutdown")
                .register(registry));
        fanOutTimer = Timer.builder("dbm_api_stream_fan_out").publishPercentileHistogram()
                .maximumExpectedValue(java.time.Duration.ofSeconds(5))
                .description("Time to hand one batch of feed changes to every stream it concerns (until a writer "
                        + "took the last of them)").register(registry);
        FunctionCounter.builder("dbm_api_stream_feed_overflow", feedOverflow, LongAdder::sum)
                .description("Live-feed changes the stream fan-out could not take (it was that far behind)")
                .register(registry);
        refused.forEach((scope, count) -> FunctionCounter.builder("dbm_api_streams_refused", count, LongAdder::sum)
                .tag("scope", scope.label()).description("Streams refused by the per-user or per-instance limit")
                .register(registry));
    }
}
