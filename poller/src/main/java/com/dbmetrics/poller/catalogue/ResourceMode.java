package com.dbmetrics.poller.catalogue;

import java.util.Locale;
import java.util.Optional;

/**
 * Where CPU and memory of a database server come from when its exporter has none: per-process metrics of
 * prometheus-process-exporter (local hosts, VMs) or per-container metrics of cAdvisor (Kubernetes).
 */
public enum ResourceMode {
    PROCESS, CONTAINER;

    /** The name used in configuration and in the catalogue's {@code resource_metrics} object. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ResourceMode> fromConfigName(String value) {
        for (ResourceMode mode : values()) {
            if (mode.configName().equals(value)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
