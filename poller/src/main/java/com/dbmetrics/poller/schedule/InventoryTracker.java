package com.dbmetrics.poller.schedule;

import com.dbmetrics.poller.catalogue.Inventory;
import com.dbmetrics.schemas.DatabaseRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inventory across discoveries. A database missing from a non-empty discovery stays known (and polled) until it has
 * been missing from {@code tombstoneAfter} consecutive non-empty discoveries; then it is removed and reported, so a
 * tombstone tells downstream views to drop it. An empty or failed discovery removes nothing (the caller does not pass
 * it here).
 */
final class InventoryTracker {

    private final int tombstoneAfter;
    private final Map<String, Integer> absentFor = new HashMap<>();
    private Inventory current = Inventory.EMPTY;

    InventoryTracker(int tombstoneAfter) {
        if (tombstoneAfter < 1) {
            throw new IllegalArgumentException("tombstoneAfter must be >= 1 but was " + tombstoneAfter);
        }
        this.tombstoneAfter = tombstoneAfter;
    }

    Inventory current() {
        return current;
    }

    /** Applies a non-empty discovery; returns the databases removed by it (to be tombstoned). */
    List<DatabaseRef> apply(Inventory discovered) {
        if (discovered.databases().isEmpty()) {
            throw new IllegalArgumentException("an empty discovery must not change the inventory");
        }
        Set<String> seen = new HashSet<>();
        discovered.databases().forEach(d -> seen.add(d.databaseId()));
        seen.forEach(absentFor::remove);
        List<DatabaseRef> kept = new ArrayList<>(discovered.databases());
        Map<String, Duration> intervals = new HashMap<>(discovered.intervals());
        List<DatabaseRef> removed = new ArrayList<>();
        for (DatabaseRef known : current.databases()) {
            if (seen.contains(known.databaseId())) {
                continue;
            }
            int missing = absentFor.merge(known.databaseId(), 1, Integer::sum);
            if (missing >= tombstoneAfter) {
                absentFor.remove(known.databaseId());
                removed.add(known);
            } else {
                kept.add(known);
                Duration interval = current.intervals().get(known.databaseId());
                if (interval != null) {
                    intervals.put(known.databaseId(), interval);
                }
            }
        }
        current = new Inventory(kept, intervals);
        return removed;
    }
}
