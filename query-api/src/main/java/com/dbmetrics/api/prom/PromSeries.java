package com.dbmetrics.api.prom;

import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The series this API serves: one per database and metric, named {@code dbmetrics_<metric>} with the database's labels
 * {@code database_id}, {@code database_name}, {@code engine}, {@code domain}, {@code project}. A metric a snapshot
 * lacks is an absent sample, never 0.
 */
final class PromSeries {

    static final String NAME = "__name__";
    static final List<String> DATABASE_LABELS = List.of("database_id", "database_name", "domain", "engine", "project");

    /** A metric as Prometheus' metadata API describes it. */
    record Described(Metric metric, String name, String unit, String help) {}

    static final Map<Metric, Described> METRICS = described();

    private PromSeries() {}

    private static Map<Metric, Described> described() {
        Map<Metric, Described> m = new EnumMap<>(Metric.class);
        m.put(Metric.CPU_USAGE, new Described(Metric.CPU_USAGE, "dbmetrics_cpu_usage", "",
                "CPU used by the database's processes, in cores (rate of CPU seconds)."));
        m.put(Metric.MEMORY_USAGE, new Described(Metric.MEMORY_USAGE, "dbmetrics_memory_usage_bytes", "bytes",
                "Memory used by the database's processes, in bytes."));
        m.put(Metric.OPERATIONS_PER_SEC, new Described(Metric.OPERATIONS_PER_SEC, "dbmetrics_operations_per_second",
                "", "Operations (transactions or commands) the database served per second."));
        m.put(Metric.CONNECTIONS, new Described(Metric.CONNECTIONS, "dbmetrics_connections", "",
                "Open client connections to the database."));
        m.put(Metric.STORAGE_SIZE, new Described(Metric.STORAGE_SIZE, "dbmetrics_storage_size_bytes", "bytes",
                "Storage the database uses, in bytes."));
        return Map.copyOf(m);
    }

    static Optional<Metric> metricNamed(String name) {
        for (Described d : METRICS.values()) {
            if (d.name().equals(name)) {
                return Optional.of(d.metric());
            }
        }
        return Optional.empty();
    }

    /** A database's label value, or null for a label it does not have. */
    static String databaseLabel(MetricsSnapshot s, String label) {
        return switch (label) {
            case "database_id" -> s.databaseId();
            case "database_name" -> s.databaseName();
            case "domain" -> s.domain();
            case "engine" -> s.engine();
            case "project" -> s.project();
            default -> null;
        };
    }

    /** A series' labels, sorted by name as Prometheus returns them. */
    static Map<String, String> labels(MetricsSnapshot s, Metric metric) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(NAME, METRICS.get(metric).name());
        for (String label : DATABASE_LABELS) {
            labels.put(label, databaseLabel(s, label));
        }
        return labels;
    }

    /** Whether a series of {@code metric} of this database matches every matcher. */
    static boolean matches(List<PromQl.Matcher> matchers, MetricsSnapshot s, Metric metric) {
        for (PromQl.Matcher m : matchers) {
            String value = m.label().equals(NAME) ? METRICS.get(metric).name() : databaseLabel(s, m.label());
            if (!m.matches(value)) {
                return false;
            }
        }
        return true;
    }

    /** Whether some series of this database could match: every matcher but those on the name holds. */
    static boolean databaseMatches(List<PromQl.Matcher> matchers, MetricsSnapshot s) {
        for (PromQl.Matcher m : matchers) {
            if (!m.label().equals(NAME) && !m.matches(databaseLabel(s, m.label()))) {
                return false;
            }
        }
        return true;
    }
}
