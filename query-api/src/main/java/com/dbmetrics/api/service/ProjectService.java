package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest snapshot of every database of a project, paged ({@code limit} 1-1000, default 100; {@code cursor} from the
 * previous page). Pages come from the streams-app (which gathers them from all its instances) and are held in memory
 * for the L1 TTL; freshness is rendered per request. A page is kept after its TTL as long as Redis keeps a stale copy
 * of a snapshot ({@link RedisKeys#STALE_TTL_SECONDS}): when the streams-app cannot answer (every instance down, or a
 * partition's task being rebuilt), the last page read is answered ({@code X-Cache: STALE}), each snapshot with its own
 * age and, once past its bound, flagged stale; only a page never read is a 503.
 */
public final class ProjectService implements MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(ProjectService.class);

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    /**
     * Snapshots held in pages at most (a page weighs 1 + its items), the least used leaving first: about 50 MB of
     * heap whatever the number of projects and pages read, although pages are kept for minutes, not the L1 TTL.
     */
    static final long MAX_HELD_SNAPSHOTS = 100_000;

    private final IqClient iq;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final ObjectMapper mapper;
    private final Cache<String, Held> pages;
    private final Ticker ticker;
    private final long ttlNanos;
    private final Map<Source, LongAdder> answered = new EnumMap<>(Source.class);
    /** Pages being read from the streams-app, by key: readers of the same page wait for the same gathering. */
    private final ConcurrentHashMap<String, CompletableFuture<Optional<IqClient.Page>>> gathering =
            new ConcurrentHashMap<>();

    /** A page and when it was read from the streams-app ({@link Ticker} nanoseconds). */
    private record Held(IqClient.Page page, long readAtNanos) {}

    /** A page to answer, and where it came from. */
    private record Served(IqClient.Page page, Source source) {}

    /** Where a page came from: held within the TTL, gathered now, or held past the TTL for want of the streams-app. */
    private enum Source {
        HELD(Layer.L1), GATHERED(Layer.IQ), STALE(Layer.STALE);

        final Layer layer;

        Source(Layer layer) {
            this.layer = layer;
        }
    }

    public ProjectService(IqClient iq, SnapshotRenderer renderer, RateLimits limits, ObjectMapper mapper, Duration ttl,
            Ticker ticker) {
        this(iq, renderer, limits, mapper, ttl, ticker, MAX_HELD_SNAPSHOTS);
    }

    ProjectService(IqClient iq, SnapshotRenderer renderer, RateLimits limits, ObjectMapper mapper, Duration ttl,
            Ticker ticker, long maxHeldSnapshots) {
        this.iq = iq;
        this.renderer = renderer;
        this.limits = limits;
        this.mapper = mapper;
        this.ticker = ticker;
        this.ttlNanos = ttl.toNanos();
        this.pages = Caffeine.newBuilder().maximumWeight(maxHeldSnapshots)
                .weigher((String key, Held held) -> 1 + held.page().items().size())
                .expireAfterWrite(Duration.ofSeconds(RedisKeys.STALE_TTL_SECONDS)).ticker(ticker).build();
        for (Source s : Source.values()) {
            answered.put(s, new LongAdder());
        }
    }

    public ReadResult.Answer list(Principal caller, String domain, String project, String limitParam, String cursor,
            String fieldsParam) {
        if (!Identifiers.isValid(domain) || !Identifiers.isValid(project)
                || (cursor != null && !Identifiers.isValid(cursor))) {
            return new ReadResult.Answer(new ReadResult.BadRequest(MetricsService.INVALID_IDS + "; so must a cursor"),
                    null);
        }
        int limit;
        try {
            limit = limitParam == null ? DEFAULT_LIMIT : Integer.parseInt(limitParam);
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            return new ReadResult.Answer(new ReadResult.BadRequest("limit must be an integer 1-" + MAX_LIMIT), null);
        }
        Admission admission = Admission.of(limits, caller, fieldsParam);
        if (admission.refused()) {
            return admission.refusal();
        }
        Set<Metric> fields = admission.fields();
        Decision rate = admission.rate();
        if (!caller.canRead(domain, project)) {
            // an unknown project and someone else's look the same: an empty first page
            return new ReadResult.Answer(render(new IqClient.Page(java.util.List.of(), null), fields, Layer.IQ), rate);
        }
        Optional<Served> served = page(domain, project, cursor, limit);
        if (served.isEmpty()) {
            return new ReadResult.Answer(new ReadResult.Unavailable(1), rate);
        }
        return new ReadResult.Answer(render(served.get().page(), fields, served.get().source().layer), rate);
    }

    /**
     * Every database of the project (pages of {@link #MAX_LIMIT}, at most {@link #MAX_STREAMED} databases), through
     * the same held pages as the listing; empty when the streams-app cannot answer. The caller's tenant is checked
     * before. {@code project} {@value #ALL_PROJECTS} reads every project of the domain (a tenant {@code domain/*}).
     */
    public Optional<List<MetricsSnapshot>> all(String domain, String project) {
        List<MetricsSnapshot> all = new ArrayList<>();
        String cursor = null;
        do {
            Optional<Served> served = page(domain, project, cursor, MAX_LIMIT);
            if (served.isEmpty()) {
                return Optional.empty();
            }
            all.addAll(served.get().page().items());
            cursor = served.get().page().nextCursor();
        } while (cursor != null && all.size() < MAX_STREAMED);
        return Optional.of(all);
    }

    /** The project name that stands for every project of a domain (never a valid identifier). */
    public static final String ALL_PROJECTS = "*";

    /** Databases a project stream starts with at most. */
    static final int MAX_STREAMED = 10_000;

    /**
     * A page held within the TTL, else read from the streams-app and checked, else (the streams-app could not answer)
     * the page held last, past its TTL; empty when none is held. With a page held, the streams-app is waited for
     * {@link IqClient#READER_WAIT} at most, and its page replaces the held one when it comes. One gathering per page is
     * in flight at a time: readers of the same page share it.
     */
    private Optional<Served> page(String domain, String project, String cursor, int limit) {
        String key = domain + '/' + project + '?' + limit + '&' + cursor;
        Held held = pages.getIfPresent(key);
        if (held != null && ticker.read() - held.readAtNanos() < ttlNanos) {
            return served(held.page(), Source.HELD);
        }
        CompletableFuture<Optional<IqClient.Page>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<IqClient.Page>> pending = gathering.putIfAbsent(key, mine);
        if (pending == null) {
            pending = mine;
            iq.async(() -> gather(key, domain, project, cursor, limit)).whenComplete((page, failure) -> {
                gathering.remove(key, mine);
                mine.complete(failure == null ? page : Optional.empty());
            });
        }
        Optional<IqClient.Page> page = held == null ? pending.join()
                : IqClient.within(pending, IqClient.READER_WAIT, failure -> Optional.empty());
        if (page != null && page.isPresent()) {
            return served(page.get(), Source.GATHERED);
        }
        return held == null ? Optional.empty() : served(held.page(), Source.STALE);
    }

    /** The page from the streams-app, checked and held; empty when it could not answer. */
    private Optional<IqClient.Page> gather(String key, String domain, String project, String cursor, int limit) {
        long readAt = ticker.read();
        Optional<IqClient.Page> page;
        try {
            page = iq.projectPage(domain, project, cursor, limit);
        } catch (RuntimeException e) {
            log.warn("Project page {} could not be read from the streams-app: {}", key, e.toString());
            return Optional.empty();
        }
        return page.map(p -> {
            IqClient.Page checked = new IqClient.Page(p.items().stream().filter(s -> project.equals(ALL_PROJECTS)
                    ? s.domain().equals(domain) : s.belongsTo(domain, project)).toList(), p.nextCursor());
            pages.put(key, new Held(checked, readAt));
            return checked;
        });
    }

    private Optional<Served> served(IqClient.Page page, Source source) {
        answered.get(source).increment();
        return Optional.of(new Served(page, source));
    }

    /** Snapshots held in pages now (each page weighing 1 + its items), after pending evictions. */
    long heldWeight() {
        pages.cleanUp();
        return pages.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    /** Pages answered from the held copy past its TTL because the streams-app could not answer. */
    public long staleAnswers() {
        return answered.get(Source.STALE).sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Source s : Source.values()) {
            FunctionCounter.builder("dbm_api_listing_pages", answered.get(s), LongAdder::sum)
                    .description("Project pages served (listings, project streams' first snapshots, Prometheus-API "
                            + "instant queries), by source: held (within the L1 TTL), gathered (from the streams-app), "
                            + "stale (held past the TTL: the streams-app could not answer)")
                    .tag("source", s.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
        }
    }

    private ReadResult render(IqClient.Page page, Set<Metric> fields, Layer layer) {
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        long maxAge = Long.MAX_VALUE;
        for (MetricsSnapshot snapshot : page.items()) {
            items.add(renderer.render(snapshot, fields, layer));
            maxAge = Math.min(maxAge, renderer.freshness(snapshot).maxAgeSeconds());
        }
        body.put("next_cursor", page.nextCursor());
        try {
            return new ReadResult.Ok(mapper.writeValueAsBytes(body), layer.name(), 0, null,
                    maxAge == Long.MAX_VALUE ? 0 : maxAge, false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render project page", e);
        }
    }
}
