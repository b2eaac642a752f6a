package com.dbmetrics.schemas;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One database's five metrics at one Prometheus evaluation time: the value of {@code dbmetrics.snapshots.v1},
 * {@code dbmetrics.latest.v1} and the Redis keys {@code dbm:{id}:fresh|stale}. JSON Schema:
 * {@code schemas/metrics-snapshot.v1.schema.json}.
 *
 * <p>A metric Prometheus could not answer is {@code null} in {@link #metrics()} and named in {@link #missing()}; it never
 * becomes 0. The compact constructor rejects anything the schema rejects, so an instance is always valid.
 */
@JsonPropertyOrder({"schema_version", "database_id", "database_name", "engine", "domain", "project", "timestamp",
        "interval_seconds", "metrics", "missing"})
public record MetricsSnapshot(
        @JsonProperty("schema_version") int schemaVersion,
        @JsonProperty("database_id") String databaseId,
        @JsonProperty("database_name") String databaseName,
        @JsonProperty("engine") String engine,
        @JsonProperty("domain") String domain,
        @JsonProperty("project") String project,
        @JsonProperty("timestamp") Instant timestamp,
        @JsonProperty("interval_seconds") int intervalSeconds,
        @JsonProperty("metrics") Map<String, Double> metrics,
        @JsonProperty("missing") List<String> missing) {

    public static final int SCHEMA_VERSION = 1;
    private static final Pattern ENGINE = Pattern.compile("[a-z0-9_-]{1,32}");

    public MetricsSnapshot {
        if (schemaVersion != SCHEMA_VERSION) {
            throw new IllegalArgumentException("schema_version must be " + SCHEMA_VERSION + " but was " + schemaVersion);
        }
        Identifiers.require("database_id", databaseId);
        Identifiers.require("domain", domain);
        Identifiers.require("project", project);
        if (databaseName == null || databaseName.isEmpty() || databaseName.length() > 256) {
            throw new IllegalArgumentException("database_name must be 1-256 characters but was " + databaseName);
        }
        if (engine == null || !ENGINE.matcher(engine).matches()) {
            throw new IllegalArgumentException("engine must match [a-z0-9_-]{1,32} but was " + engine);
        }
        Objects.requireNonNull(timestamp, "timestamp must be set");
        if (intervalSeconds <= 0) {
            throw new IllegalArgumentException("interval_seconds must be > 0 but was " + intervalSeconds);
        }
        Objects.requireNonNull(metrics, "metrics must be set");
        Map<String, Double> ordered = new LinkedHashMap<>();
        for (Metric metric : Metric.values()) {
            if (!metrics.containsKey(metric.wireName())) {
                throw new IllegalArgumentException("metrics." + metric.wireName() + " must be present (null when missing)");
            }
            Double value = metrics.get(metric.wireName());
            if (value != null && (value.isNaN() || value.isInfinite() || value < 0)) {
                throw new IllegalArgumentException(
                        "metrics." + metric.wireName() + " must be a finite number >= 0 but was " + value);
            }
            ordered.put(metric.wireName(), value);
        }
        if (metrics.size() != ordered.size()) {
            throw new IllegalArgumentException("metrics must hold exactly " + ordered.keySet() + " but held "
                    + metrics.keySet());
        }
        List<String> expectedMissing = new ArrayList<>();
        ordered.forEach((name, value) -> {
            if (value == null) {
                expectedMissing.add(name);
            }
        });
        List<String> givenMissing = missing == null ? List.of() : missing;
        if (!expectedMissing.equals(givenMissing)) {
            throw new IllegalArgumentException("missing must name exactly the null metrics " + expectedMissing
                    + " but was " + givenMissing);
        }
        metrics = Collections.unmodifiableMap(ordered);
        missing = List.copyOf(expectedMissing);
    }

    /** Builds a snapshot from per-metric values; absent or null values become {@code null} and are listed as missing. */
    public static MetricsSnapshot of(DatabaseRef database, Instant timestamp, int intervalSeconds,
            Map<Metric, Double> values) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        EnumMap<Metric, Double> byMetric = new EnumMap<>(Metric.class);
        byMetric.putAll(values);
        for (Metric metric : Metric.values()) {
            Double value = byMetric.get(metric);
            metrics.put(metric.wireName(), value);
            if (value == null) {
                missing.add(metric.wireName());
            }
        }
        return new MetricsSnapshot(SCHEMA_VERSION, database.databaseId(), database.databaseName(), database.engine(),
                database.domain(), database.project(), timestamp, intervalSeconds, metrics, missing);
    }

    /** The value of one metric, or {@code null} when Prometheus could not answer it. */
    public Double value(Metric metric) {
        return metrics.get(metric.wireName());
    }

    /** Whether this snapshot belongs to {@code domain/project}: every read path checks this. */
    public boolean belongsTo(String domain, String project) {
        return this.domain.equals(domain) && this.project.equals(project);
    }

    @JsonIgnore
    public DatabaseRef database() {
        return new DatabaseRef(databaseId, databaseName, engine, domain, project);
    }
}
