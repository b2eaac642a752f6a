package com.dbmetrics.e2e;

/**
 * Addresses of the real services {@code ./dbm test} starts (Kafka, Redis, Prometheus scraping real exporters of a real
 * PostgreSQL and Redis). A test that needs them fails loudly when they are missing: it never skips.
 */
final class TestStack {

    /** The interactive-query token of the streams-app and query API these tests start, as a mounted secret holds it. */
    static final String IQ_TOKEN = "e2e-iq-token-" + java.util.UUID.randomUUID();
    private static java.nio.file.Path iqTokenFile;

    private TestStack() {}

    /** {@code STREAMS_IQ_TOKEN_FILE} for both apps: a temporary file holding {@link #IQ_TOKEN}. */
    static synchronized String iqTokenFile() {
        try {
            if (iqTokenFile == null) {
                iqTokenFile = java.nio.file.Files.createTempFile("e2e-iq-token", "");
                iqTokenFile.toFile().deleteOnExit();
                java.nio.file.Files.writeString(iqTokenFile, IQ_TOKEN + "\n");
            }
            return iqTokenFile.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

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
