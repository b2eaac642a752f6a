package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.streams.state.HostInfo;

/**
 * A project's listing, gathered (docs/architecture.md, decision 5): a project's databases are spread over every instance,
 * so the page is this instance's part merged with every other instance's, each database once (its newest copy: with
 * standby replicas several instances hold it), sorted by database id and cut to the limit.
 * Each instance is asked for one more than the page, so that the gatherer knows whether a next page exists. A request
 * that is itself a gathering instance's ({@code local}) answers this instance's part only, without a cursor. An
 * instance that does not answer is left out when the others hold standby copies of all its partitions (the listing
 * is then complete, possibly behind, and counted as a standby answer); otherwise the listing is unavailable. Each part
 * names the partitions it could read; a listing whose parts together miss a partition (its task being rebuilt from
 * scratch, with no readable copy elsewhere) is unavailable rather than silently short of that partition's databases.
 */
final class ProjectGatherer {

    /** A page of the listing, or why there is none. */
    sealed interface Listing {}

    /**
     * Sorted by database id; {@code nextCursor} null on the last page; the lag of this instance's stores; the
     * partitions the page covers (those of this instance only, for a gathering instance's request).
     */
    record Page(List<MetricsSnapshot> items, String nextCursor, long lagOffsets, IqCounters.Outcome outcome,
            Set<Integer> partitions) implements Listing {}

    /** This instance's stores cannot answer now (rebalancing or restoring). */
    record StoresUnavailable() implements Listing {}

    /** Another instance did not answer, or not with 200. */
    record InstanceUnavailable() implements Listing {}

    private final SnapshotQueries queries;
    private final IqForwarder forwarder;
    private final ObjectMapper mapper;

    ProjectGatherer(SnapshotQueries queries, IqForwarder forwarder, ObjectMapper mapper) {
        this.queries = queries;
        this.forwarder = forwarder;
        this.mapper = mapper;
    }

    /** The page after {@code cursor} (null: the first) of at most {@code limit} databases. */
    Listing list(String domain, String project, String cursor, int limit, boolean local) throws IOException {
        int fetch = local ? limit : limit + 1;
        StoreResult<SnapshotQueries.ProjectPart> mine = queries.localProjectPage(domain, project, cursor, fetch);
        if (!(mine instanceof StoreResult.Found<SnapshotQueries.ProjectPart> found)) {
            return new StoresUnavailable();
        }
        List<MetricsSnapshot> all = new ArrayList<>(found.value().snapshots());
        Set<Integer> covered = new TreeSet<>(found.value().partitions());
        IqCounters.Outcome outcome = found.standby() ? IqCounters.Outcome.STANDBY : IqCounters.Outcome.LOCAL;
        if (!local) {
            String path = "/internal/v1/projects/" + domain + "/" + project + "/snapshots?" + IqHandlers.LOCAL_PARAM
                    + "=true&limit=" + fetch + (cursor == null ? "" : "&cursor=" + enc(cursor));
            List<HostInfo> answering = new ArrayList<>();
            List<HostInfo> missing = new ArrayList<>();
            for (HostInfo host : queries.otherHosts()) {
                Optional<HttpResponse<byte[]>> answer = forwarder.get(host, path);
                if (answer.isEmpty() || answer.get().statusCode() != 200) {
                    missing.add(host);
                    continue;
                }
                answering.add(host);
                outcome = IqCounters.Outcome.GATHERED;
                JsonNode part = mapper.readTree(answer.get().body());
                for (JsonNode item : part.path("items")) {
                    all.add(mapper.treeToValue(item, MetricsSnapshot.class));
                }
                if (part.path("partitions").isArray()) {
                    part.path("partitions").forEach(p -> covered.add(p.asInt()));
                } else { // an instance of an earlier version: what it holds, as before
                    covered.addAll(queries.partitionsOf(host));
                }
            }
            if (!missing.isEmpty()) {
                // an instance down or restarting (a rolling update): complete without it only if the others hold
                // copies (standby replicas) of every partition it is active for; counted as a standby answer
                if (!queries.copiesCover(missing, answering)) {
                    return new InstanceUnavailable();
                }
                outcome = IqCounters.Outcome.STANDBY;
            }
            if (!covers(covered, queries.activePartitions())) {
                return new StoresUnavailable();
            }
        }
        List<MetricsSnapshot> merged = merge(all);
        List<MetricsSnapshot> page = merged.subList(0, Math.min(limit, merged.size()));
        String next = !local && merged.size() > limit ? page.get(page.size() - 1).databaseId() : null;
        return new Page(page, next, found.lagOffsets(), outcome, covered);
    }

    /**
     * Whether the parts read cover every partition some instance is active for (false when that is not known yet).
     * Package-private for the tests.
     */
    static boolean covers(Set<Integer> covered, Set<Integer> active) {
        return !active.isEmpty() && covered.containsAll(active);
    }

    /**
     * The parts of every instance as one list sorted by database id, each database once: with standby replicas a
     * database is held by its active instance and by its standbys (whose copy may be older), and every copy answers
     * in its instance's part. The copy with the newest event time is kept: the active one, unless a standby is ahead
     * (the active instance still restoring). Package-private for the tests.
     */
    static List<MetricsSnapshot> merge(List<MetricsSnapshot> parts) {
        Map<String, MetricsSnapshot> newest = new TreeMap<>();
        for (MetricsSnapshot snapshot : parts) {
            newest.merge(snapshot.databaseId(), snapshot,
                    (a, b) -> b.timestamp().isAfter(a.timestamp()) ? b : a);
        }
        return new ArrayList<>(newest.values());
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
