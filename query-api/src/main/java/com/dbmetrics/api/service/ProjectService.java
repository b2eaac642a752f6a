package com.dbmetrics.api.service;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.source.IqClient;
import com.dbmetrics.api.source.Layer;
import com.dbmetrics.schemas.Identifiers;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The latest snapshot of every database of a project, paged ({@code limit} 1-1000, default 100; {@code cursor} from the
 * previous page). Pages come from the streams-app (which gathers them from all its instances) and are held in memory
 * for the L1 TTL; freshness is rendered per request.
 */
public final class ProjectService {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    private final IqClient iq;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final ObjectMapper mapper;
    private final Cache<String, IqClient.Page> pages;

    public ProjectService(IqClient iq, SnapshotRenderer renderer, RateLimits limits, ObjectMapper mapper, Duration ttl,
            Ticker ticker) {
        this.iq = iq;
        this.renderer = renderer;
        this.limits = limits;
        this.mapper = mapper;
        this.pages = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(ttl).ticker(ticker).build();
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
            return new ReadResult.Answer(render(new IqClient.Page(java.util.List.of(), null), fields, "IQ"), rate);
        }
        boolean[] held = {true};
        Optional<IqClient.Page> page = page(domain, project, cursor, limit, held);
        if (page.isEmpty()) {
            return new ReadResult.Answer(new ReadResult.Unavailable(1), rate);
        }
        return new ReadResult.Answer(render(page.get(), fields, held[0] ? "L1" : "IQ"), rate);
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
            Optional<IqClient.Page> page = page(domain, project, cursor, MAX_LIMIT, new boolean[1]);
            if (page.isEmpty()) {
                return Optional.empty();
            }
            all.addAll(page.get().items());
            cursor = page.get().nextCursor();
        } while (cursor != null && all.size() < MAX_STREAMED);
        return Optional.of(all);
    }

    /** The project name that stands for every project of a domain (never a valid identifier). */
    public static final String ALL_PROJECTS = "*";

    /** Databases a project stream starts with at most. */
    static final int MAX_STREAMED = 10_000;

    /** A page held for the TTL, else read from the streams-app ({@code held[0]} false) and checked. */
    private Optional<IqClient.Page> page(String domain, String project, String cursor, int limit, boolean[] held) {
        String key = domain + '/' + project + '?' + limit + '&' + cursor;
        IqClient.Page cached = pages.getIfPresent(key);
        if (cached != null) {
            held[0] = true;
            return Optional.of(cached);
        }
        held[0] = false;
        Optional<IqClient.Page> page = iq.projectPage(domain, project, cursor, limit);
        if (page.isEmpty()) {
            return page;
        }
        IqClient.Page checked = new IqClient.Page(page.get().items().stream()
                .filter(s -> project.equals(ALL_PROJECTS) ? s.domain().equals(domain) : s.belongsTo(domain, project))
                .toList(), page.get().nextCursor());
        pages.put(key, checked);
        return Optional.of(checked);
    }

    private ReadResult render(IqClient.Page page, Set<Metric> fields, String layer) {
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        long maxAge = Long.MAX_VALUE;
        for (MetricsSnapshot snapshot : page.items()) {
            items.add(renderer.render(snapshot, fields, Layer.IQ));
            maxAge = Math.min(maxAge, renderer.freshness(snapshot).maxAgeSeconds());
        }
        body.put("next_cursor", page.nextCursor());
        try {
            return new ReadResult.Ok(mapper.writeValueAsBytes(body), layer, 0, null,
                    maxAge == Long.MAX_VALUE ? 0 : maxAge, false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render project page", e);
        }
    }
}
