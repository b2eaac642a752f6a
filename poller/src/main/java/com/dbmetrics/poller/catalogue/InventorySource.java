package com.dbmetrics.poller.catalogue;

import com.dbmetrics.poller.prometheus.Querier;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Where the poller learns which databases exist: Prometheus target labels or a static file. */
public interface InventorySource {

    /** The databases as of {@code time}; throws when the source could not be read (nothing is removed then). */
    Discovery.Result discover(Instant time) throws DiscoveryException;

    /** Whether each call reaches Prometheus (and so counts as a Prometheus query). */
    boolean queriesPrometheus();

    /** The static inventory {@code file} when there is one ({@code POLLER_INVENTORY_FILE}), else discovery. */
    static InventorySource of(Optional<String> file, ObjectMapper mapper, Duration baseTick, Querier querier) {
        return file.<InventorySource>map(f -> new InventoryFile(mapper, Path.of(f), baseTick))
                .orElseGet(() -> new Discovery(querier, baseTick));
    }
}
