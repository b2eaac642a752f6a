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
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every live stream of this instance, and the fan-out of the one upstream feed to them: each snapshot the feed brings
 * is rendered once per distinct {@code ?fields=} and offered to the streams of its database and of its project (a
 * slow stream's full queue closes that stream, never delays the others). Holds the limits: streams per user and per
 * instance; a stream asked past them is refused before it opens.
 */
public final class StreamHub implements SnapshotFeed.Listener, MeterBinder {

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
        Set<LiveStream> ofDatabase = byDatabase.get(snapshot.databaseId());
        Set<LiveStream> ofProject = byProject.get(key);
        if ((ofDatabase == null || ofDatabase.isEmpty()) && (ofProject == null || ofProject.isEmpty())) {
            return;
        }
        Map<String, LiveStream.Frame> rendered = new HashMap<>(4);
        for (Set<LiveStream> set : new Set[] {ofDatabase, ofProject}) {
            if (set != null) {
                for (LiveStream s : set) {
                    s.offer(rendered.computeIfAbsent(s.fieldsKey, k -> frame(snapshot, s.fields, Layer.L2)));
                }
            }
        }
    }

    @Override
    public void removed(String databaseId, long eventMillis) {
        String key = projectOf.remove(databaseId);
        LiveStream.Frame frame = new LiveStream.Frame(databaseId, eventMillis, ("id: " + eventMillis
                + "\nevent: removed\ndata: {\"database_id\":\""
                + new String(JsonStringEncoder.getInstance().quoteAsString(databaseId)) + "\"}\n\n")
                .getBytes(StandardCharsets.UTF_8));
        for (Set<LiveStream> set : List.of(byDatabase.getOrDefault(databaseId, Set.of()),
                key == null ? Set.<LiveStream>of() : byProject.getOrDefault(key, Set.of()))) {
            for (LiveStream s : set) {
                s.offer(frame);
            }
        }
    }

    /** Sends a heartbeat comment to every idle stream: called every {@code API_STREAM_HEARTBEAT}. */
    public void heartbeat() {
        forEach(LiveStream::heartbeat);
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
        refused.forEach((scope, count) -> FunctionCounter.builder("dbm_api_streams_refused", count, LongAdder::sum)
                .tag("scope", scope.label()).description("Streams refused by the per-user or per-instance limit")
                .register(registry));
    }
}
