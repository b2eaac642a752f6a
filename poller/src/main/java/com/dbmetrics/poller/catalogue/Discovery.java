package com.dbmetrics.poller.catalogue;

import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Querier;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.config.Env;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the databases to poll from the labels of Prometheus scrape targets. */
public final class Discovery implements InventorySource {

    /** Every labelled database target, one series per database. */
    public static final String QUERY = "group by (database_id, database_name, engine, domain, project, "
            + "dbmetrics_interval) (up{database_id!=\"\"})";
    /** Target label overriding the poll interval of one database. */
    public static final String INTERVAL_LABEL = "dbmetrics_interval";

    private static final Logger log = LoggerFactory.getLogger(Discovery.class);

    /**
     * The result of one discovery: the inventory, the targets whose labels were refused, and the interval overrides
     * that were refused (those databases keep the base interval).
     */
    public record Result(Inventory inventory, List<String> rejected, List<String> refusedIntervals) {
        public Result(Inventory inventory, List<String> rejected) {
            this(inventory, rejected, List.of());
        }
    }

    private final Querier querier;
    private final Duration baseTick;

    public Discovery(Querier querier, Duration baseTick) {
        this.querier = querier;
        this.baseTick = baseTick;
    }

    @Override
    public Result discover(Instant time) throws DiscoveryException {
        try {
            return fromSamples(querier.query(QUERY, time), baseTick);
        } catch (PrometheusException e) {
            throw new DiscoveryException(e.kind().tag(), e.getMessage(), e);
        }
    }

    @Override
    public boolean queriesPrometheus() {
        return true;
    }

    static Result fromSamples(List<Sample> samples, Duration baseTick) {
        Collector collector = new Collector(baseTick);
        for (Sample sample : samples) {
            collector.add(sample.labels(), String.valueOf(sample.labels()));
        }
        return collector.result();
    }

    /** Validates entries one by one (labels or file rows) into a {@link Result}; shared by every source. */
    static final class Collector {
        private final Duration baseTick;
        private final Map<String, DatabaseRef> byId = new LinkedHashMap<>();
        private final Map<String, Duration> intervals = new HashMap<>();
        private final List<String> rejected = new ArrayList<>();
        private final List<String> refusedIntervals = new ArrayList<>();

        Collector(Duration baseTick) {
            this.baseTick = baseTick;
        }

        void add(Map<String, String> labels, String origin) {
            DatabaseRef ref;
            try {
                ref = new DatabaseRef(labels.get("database_id"), labels.get("database_name"), labels.get("engine"),
                        labels.get("domain"), labels.get("project"));
            } catch (IllegalArgumentException e) {
                rejected.add(origin + ": " + e.getMessage());
                log.warn("Ignoring database {} with invalid labels: {}", origin, e.getMessage());
                return;
            }
            DatabaseRef previous = byId.putIfAbsent(ref.databaseId(), ref);
            if (previous != null) {
                if (!previous.equals(ref)) {
                    rejected.add(ref.databaseId() + ": conflicting labels on two targets");
                    log.warn("database_id={} has conflicting labels {} and {}; keeping the first",
                            ref.databaseId(), previous, ref);
                }
                return;
            }
            String interval = labels.get(INTERVAL_LABEL);
            if (interval != null && !interval.isEmpty()) {
                parseInterval(interval).ifPresentOrElse(d -> {
                    if (!d.equals(baseTick)) {
                        intervals.put(ref.databaseId(), d);
                    }
                }, () -> {
                    refusedIntervals.add(ref.databaseId() + ": " + interval);
                    log.warn("database_id={}: {}={} is not a positive multiple of the base tick {}; polling it every {}",
                            ref.databaseId(), INTERVAL_LABEL, interval, baseTick, baseTick);
                });
            }
        }

        private java.util.Optional<Duration> parseInterval(String value) {
            try {
                Duration d = Env.parseDuration(INTERVAL_LABEL, value);
                if (d.isZero() || d.toMillis() % baseTick.toMillis() != 0) {
                    return java.util.Optional.empty();
                }
                return java.util.Optional.of(d);
            } catch (IllegalArgumentException e) {
                return java.util.Optional.empty();
            }
        }

        Result result() {
            return new Result(new Inventory(new ArrayList<>(byId.values()), intervals), rejected, refusedIntervals);
        }
    }
}
