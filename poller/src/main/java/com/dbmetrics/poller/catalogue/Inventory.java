package com.dbmetrics.poller.catalogue;

import com.dbmetrics.schemas.DatabaseRef;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The databases to poll, as the last discovery found them, each with its own interval (a multiple of the base tick;
 * databases without an override are absent from {@code intervals} and use the base interval).
 */
public record Inventory(List<DatabaseRef> databases, Map<String, Duration> intervals) {

    public static final Inventory EMPTY = new Inventory(List.of(), Map.of());

    public Inventory {
        databases = List.copyOf(databases);
        intervals = Map.copyOf(intervals);
    }

    public Inventory(List<DatabaseRef> databases) {
        this(databases, Map.of());
    }

    /** The interval of {@code databaseId}: its override, else {@code base}. */
    public Duration intervalOf(String databaseId, Duration base) {
        return intervals.getOrDefault(databaseId, base);
    }

    public Map<String, List<DatabaseRef>> byEngine() {
        return databases.stream().collect(Collectors.groupingBy(DatabaseRef::engine, LinkedHashMap::new,
                Collectors.toList()));
    }
}
