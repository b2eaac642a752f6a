package com.dbmetrics.poller.catalogue;

import com.dbmetrics.schemas.DatabaseRef;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The databases to poll, as the last discovery found them. */
public record Inventory(List<DatabaseRef> databases) {

    public static final Inventory EMPTY = new Inventory(List.of());

    public Inventory {
        databases = List.copyOf(databases);
    }

    public Map<String, List<DatabaseRef>> byEngine() {
        return databases.stream().collect(Collectors.groupingBy(DatabaseRef::engine));
    }
}
