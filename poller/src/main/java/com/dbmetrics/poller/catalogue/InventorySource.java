package com.dbmetrics.poller.catalogue;

import java.time.Instant;

/** Where the poller learns which databases exist: Prometheus target labels or a static file. */
public interface InventorySource {

    /** The databases as of {@code time}; throws when the source could not be read (nothing is removed then). */
    Discovery.Result discover(Instant time) throws DiscoveryException;

    /** Whether each call reaches Prometheus (and so counts as a Prometheus query). */
    boolean queriesPrometheus();
}
