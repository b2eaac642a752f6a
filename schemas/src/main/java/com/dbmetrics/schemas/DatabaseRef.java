package com.dbmetrics.schemas;

/** Who a database is: its identity and owner, as its Prometheus target labels or the inventory give them. */
public record DatabaseRef(String databaseId, String databaseName, String engine, String domain, String project) {

    public DatabaseRef {
        Identifiers.require("database_id", databaseId);
        Identifiers.require("domain", domain);
        Identifiers.require("project", project);
        if (databaseName == null || databaseName.isEmpty()) {
            databaseName = databaseId;
        }
        if (engine == null || engine.isEmpty()) {
            throw new IllegalArgumentException("engine must be set for database " + databaseId);
        }
    }
}
