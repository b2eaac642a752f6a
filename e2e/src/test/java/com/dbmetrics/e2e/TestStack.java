package com.dbmetrics.e2e;

/**
 * Addresses of the real services {@code ./dbm test} starts (Kafka, Redis, Prometheus scraping real exporters of a real
 * PostgreSQL and Redis). A test that needs them fails loudly when they are missing: it never skips.
 */
final class TestStack {

    private TestStack() {}

    static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test, which "
                    + "starts Kafka, Redis, Prometheus and the demo databases and passes their addresses in");
        }
        return value;
    }

    static String kafka() {
        return require("DBM_IT_KAFKA_BOOTSTRAP");
    }

    static String redisUrl() {
        return require("DBM_IT_REDIS_URL");
    }

    static String prometheusUrl() {
        return require("DBM_IT_PROMETHEUS_URL");
    }

    static String postgresJdbcUrl() {
        return require("DBM_IT_POSTGRES_JDBC_URL");
    }

    static String postgresDatabaseId() {
        return require("DBM_IT_PG_DATABASE_ID");
    }

    static String redisDatabaseId() {
        return require("DBM_IT_REDIS_DATABASE_ID");
    }

    static String mysqlDatabaseId() {
        return require("DBM_IT_MYSQL_DATABASE_ID");
    }
}
