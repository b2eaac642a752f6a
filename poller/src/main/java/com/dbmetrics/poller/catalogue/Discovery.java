package com.dbmetrics.poller.catalogue;

import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.schemas.DatabaseRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the databases to poll from the labels of Prometheus scrape targets. */
public final class Discovery {

    /** Every labelled database target, one series per database. */
    public static final String QUERY = "group by (database_id, database_name, engine, domain, project, "
            + "dbmetrics_interval) (up{database_id!=\"\"})";

    private static final Logger log = LoggerFactory.getLogger(Discovery.class);

    /** Evaluates a PromQL query at a time; the poller passes its breaker-guarded client. */
    @FunctionalInterface
    public interface Querier {
        List<Sample> query(String promql, Instant time) throws PrometheusException;
    }

    /** The result of one discovery: the inventory and the targets whose labels were refused. */
    public record Result(Inventory inventory, List<String> rejected) {}

    private final Querier querier;

    public Discovery(Querier querier) {
        this.querier = querier;
    }

    public Result discover(Instant time) throws PrometheusException {
        return fromSamples(querier.query(QUERY, time));
    }

    static Result fromSamples(List<Sample> samples) {
        Map<String, DatabaseRef> byId = new LinkedHashMap<>();
        List<String> rejected = new ArrayList<>();
        for (Sample sample : samples) {
            try {
                DatabaseRef ref = new DatabaseRef(sample.label("database_id"), sample.label("database_name"),
                        sample.label("engine"), sample.label("domain"), sample.label("project"));
                DatabaseRef previous = byId.putIfAbsent(ref.databaseId(), ref);
                if (previous != null && !previous.equals(ref)) {
                    rejected.add(ref.databaseId() + ": conflicting labels on two targets");
                    log.warn("database_id={} has conflicting target labels {} and {}; keeping the first",
                            ref.databaseId(), previous, ref);
                }
            } catch (IllegalArgumentException e) {
                rejected.add(String.valueOf(sample.labels()) + ": " + e.getMessage());
                log.warn("Ignoring scrape target with invalid labels {}: {}", sample.labels(), e.getMessage());
            }
        }
        return new Result(new Inventory(new ArrayList<>(byId.values())), rejected);
    }
}
