package com.dbmetrics.schemas;

import java.util.Arrays;
import java.util.Optional;

/** The five metrics every snapshot carries, in wire order, with their JSON names and units. */
public enum Metric {
    /** Cores: the rate of process CPU seconds. */
    CPU_USAGE("cpu_usage", false),
    /** Bytes of memory in use. */
    MEMORY_USAGE("memory_usage", true),
    /** Operations (transactions or commands) per second. */
    OPERATIONS_PER_SEC("operations_per_sec", false),
    /** Open client connections. */
    CONNECTIONS("connections", true),
    /** Bytes of storage used. */
    STORAGE_SIZE("storage_size", true);

    private final String wireName;
    private final boolean integral;

    Metric(String wireName, boolean integral) {
        this.wireName = wireName;
        this.integral = integral;
    }

    public String wireName() {
        return wireName;
    }

    /** Whether the value is a count of something (bytes, connections) rather than a rate. */
    public boolean integral() {
        return integral;
    }

    public static Optional<Metric> fromWireName(String name) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(name)).findFirst();
    }
}
